#include "store/memcached_store.h"
