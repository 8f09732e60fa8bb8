// Everything a Hatch program includes: interfaces, refs, components, the origin and the app.
#pragma once

#include "hatch/app.hpp"
#include "hatch/context.hpp"
#include "hatch/deadline.hpp"
#include "hatch/error.hpp"
#include "hatch/interface.hpp"
#include "hatch/node.hpp"
#include "hatch/origin.hpp"
#include "hatch/ref.hpp"
