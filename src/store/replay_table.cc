#include "store/replay_table.h"
