#include "session/login_state.h"
