# The Cap'n Proto echo peer of BM_RemoteCallPairs (bench/capnp_peer.cpp): bytes in, the same
# bytes back.
@0xd275a7b94160e2d4;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hatch::bench::capnp_echo");

interface Echo {
  echo @0 (payload :Data) -> (payload :Data);
}
