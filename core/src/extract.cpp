#include "chunkbench/extract.hpp"

#include <algorithm>
#include <chrono>

#include "chunkbench/error.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/output_target.hpp"
#include "chunkbench/range_source.hpp"
#include "chunkbench/seed.hpp"
#include "chunkbench/store_factory.hpp"

namespace chunkbench {

namespace {

// The first HTTP store the reads go to, for calibrating the cost model: a local store's "round
// trip" is not a network's.
HttpStore* first_http_store(Store* store) {
  if (auto* h = dynamic_cast<HttpStore*>(store)) return h;
  const std::vector<std::shared_ptr<Store>>* members = nullptr;
  if (auto* r = dynamic_cast<RouterStore*>(store)) members = &r->stores();
  else if (auto* f = dynamic_cast<FailoverStore*>(store)) members = &f->stores();
  if (members)
    for (const auto& s : *members)
      if (auto* h = first_http_store(s.get())) return h;
  return nullptr;
}

PlanOptions::Remote choose_mode(const ExtractRequest& r) {
  if (r.mode) {
    if (*r.mode != PlanOptions::Remote::store && r.source.empty())
      throw Error(Errc::usage, std::string("source mode ") + remote_name(*r.mode) + " needs the image URL to read ranges from");
    if (*r.mode == PlanOptions::Remote::automatic && r.stores.empty())
      throw Error(Errc::usage, "source mode auto needs a store to compare the image with");
    return *r.mode;
  }
  if (r.source.empty()) return PlanOptions::Remote::store;
  return r.stores.empty() ? PlanOptions::Remote::range : PlanOptions::Remote::automatic;
}

// Everything a request needs before the first byte moves; checked and opened up front so a bad
// spec or option fails before any work.
struct Wiring {
  Index target;
  PlanOptions plan;
  StoreOptions store_options;
  std::shared_ptr<Store> store;
  std::unique_ptr<HttpRangeSource> source;
  std::vector<Seed> seeds;
  unsigned threads = 0;
};

void check(const ExtractRequest& r) {
  if (r.output.empty()) throw Error(Errc::usage, "no output path given");
  if (!r.index && r.index_path.empty()) throw Error(Errc::usage, "no index given");
  if (r.max_span == 0) throw Error(Errc::usage, "the longest Range request must be at least 1 byte");
  if (!(r.bandwidth > 0)) throw Error(Errc::usage, "the link rate of the cost model must be positive");
  if (r.rtt && !(*r.rtt >= 0)) throw Error(Errc::usage, "the round trip of the cost model must not be negative");
}

Wiring wire(const ExtractRequest& r) {
  check(r);
  // Refused before any store is opened or any byte fetched; seeds are checked once loaded.
  output_kind(r.output);
  refuse_output_is_input(r.output, {{"index", r.index_path}});
  Wiring w;
  w.target = r.index ? *r.index : Index::read(r.index_path);
  if (r.digest) require_digest(w.target, *r.digest, r.index_path.empty() ? "the index" : r.index_path);
  w.threads = r.threads ? r.threads : default_threads();
  w.plan.remote = choose_mode(r);
  w.plan.max_span = r.max_span;

  StoreOptions& so = w.store_options;
  so.compressed = r.compressed;
  so.http = link_http(r.http, w.target, r.window, r.bandwidth, r.window_memory);
  if (r.rtt && *r.rtt > 0) so.http.rtt_hint = *r.rtt;
  // zstd's worst case for incompressible data is a few bytes per 128 KiB block; be generous.
  so.max_body = w.target.sizes.max + w.target.sizes.max / 64 + 4096;
  so.stats = r.on_request ? std::make_shared<FetchStats>(r.on_request) : std::make_shared<FetchStats>();
  if (!r.stores.empty()) w.store = open_stores(r.stores, so);
  if (!r.source.empty()) w.source = std::make_unique<HttpRangeSource>(r.source, shared_fetcher(so));

  w.plan.cost.in_flight = so.http.in_flight;
  w.plan.cost.bandwidth = r.bandwidth;
  if (r.rtt) w.plan.cost.rtt = *r.rtt;

  for (const auto& s : r.seeds) w.seeds.push_back(load_seed(s, w.target, w.threads));
  for (const auto& d : r.seed_dirs)
    for (auto& s : load_seed_dir(d, w.target, r.index_path)) w.seeds.push_back(std::move(s));
  return w;
}

}  // namespace

unsigned default_window(const Index& target) {
  return static_cast<unsigned>(std::clamp<std::uint64_t>((16u << 20) / std::max<std::uint64_t>(target.sizes.avg, 1), 4, 64));
}

HttpOptions link_http(HttpOptions h, const Index& target, unsigned window, double rate, std::uint64_t memory) {
  if (window) {
    h.in_flight = window;
    h.max_in_flight = window;
    h.link_rate = 0;
    return h;
  }
  const std::uint64_t avg = std::max<std::uint64_t>(target.sizes.avg, 1);
  h.in_flight = default_window(target);
  h.max_in_flight = static_cast<unsigned>(std::clamp<std::uint64_t>(memory / avg, h.in_flight, 65536));
  h.link_rate = rate;
  h.expected_body = static_cast<double>(avg);
  return h;
}

ExtractReport extract(const ExtractRequest& r) {
  const auto t0 = std::chrono::steady_clock::now();
  Wiring w = wire(r);

  ExtractOptions opt;
  opt.threads = w.threads;
  opt.in_place = r.in_place;
  opt.temp_path = r.temp_path;
  opt.queue = w.store_options.http.max_in_flight;
  opt.progress = r.progress;
  opt.plan = w.plan;
  opt.range = w.source.get();
  if (opt.plan.remote == PlanOptions::Remote::automatic) {
    HttpStore* http = first_http_store(w.store.get());
    HttpRangeSource* image = w.source.get();
    opt.calibrate = [&, http, image](const CostModel& base, const Plan& plan) {
      if (!http) return base;  // keep the given model: a local store is not a link
      CostModel m = calibrate_cost(base, *http, image, w.target, plan.store_positions(16));
      if (r.rtt) m.rtt = base.rtt;  // a given round trip wins over the measured one
      return m;
    };
  }

  ExtractReport rep;
  rep.index = r.index_path;
  rep.output = r.output;
  rep.stats = extract(w.target, r.output, w.seeds, w.store.get(), opt);
  rep.requests = w.store_options.stats;
  rep.network = rep.requests->summary();
  for (const auto& [p, count] : rep.network.protocols) rep.protocol += (rep.protocol.empty() ? "" : "+") + p;
  rep.http = w.store_options.http;
  if (const auto& f = w.store_options.fetcher) {
    rep.link = {f->measured_rtt(), f->link_rate(), f->window(), f->connections()};
    rep.http.in_flight = f->window();
    rep.http.connections = f->connections();
  }
  rep.threads = w.threads;
  rep.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace chunkbench
