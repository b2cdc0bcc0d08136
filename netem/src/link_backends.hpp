#pragma once
// Constructors of the link backends, one per file; make_link() in link.cpp picks among them.
#include <memory>

#include "chunkbench/netem/link.hpp"

namespace chunkbench::netem {

std::unique_ptr<Link> make_tun_link(Topology& t);
std::unique_ptr<Link> make_kernel_link(Topology& t);
std::unique_ptr<Link> make_wondershaper_link(Topology& t);

// veth pair "cbveth" in both namespaces with the run's addresses, for the qdisc-based backends.
void add_veth(Topology& t);

// Sets the scenario's server.initcwnd / server.initrwnd on the server namespace's route to the
// client, once a backend has created it; nothing when the scenario sets neither.
void apply_server_route(const Topology& t);

}  // namespace chunkbench::netem
