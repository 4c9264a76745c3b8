#include "store/redis_store.h"
