// Must fail to compile: a raw pointer cannot cross the wire.
#include "hatch/interface.hpp"

HATCH_INTERFACE(Bad, (read, int, take, (const char*)));
