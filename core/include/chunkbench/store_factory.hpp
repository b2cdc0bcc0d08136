#pragma once
// Opens stores from the specs users write (desync's syntax): a directory, an http:// or https://
// URL, several mirrors of one store as "a|b" (a failover group), and later s3+https:// and
// s3+http://. Every spec is checked when it is opened, before any transfer, so a typo fails at
// once naming the spec instead of showing up as "chunk missing" half-way through a run.
#include <memory>
#include <string>
#include <vector>

#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

struct StoreOptions {
  bool compressed = true;  // .cacnk chunks; false: the uncompressed layout (<id> files)
  // A directory that does not exist yet is allowed (and created by the first write), for stores
  // that are about to be filled; a store that is read must exist.
  bool create = false;
  HttpOptions http;        // how remote stores are reached
  std::size_t max_body = 0;  // largest chunk file accepted from a remote store; 0: no limit
  // Every remote store opened with these options shares one fetcher (one libcurl multi:
  // connections, TLS sessions, DNS), made from `http` and `stats` by the first remote spec when
  // null. Callers that also read an image by Range pass the same fetcher to HttpRangeSource.
  std::shared_ptr<BatchFetcher> fetcher;
  std::shared_ptr<FetchStats> stats;  // per-request records of that fetcher; null: none
};

// The scheme part of a spec ("https" for "https://h/x"), or "" for a directory.
std::string store_scheme(const std::string& spec);
// True when the spec (or a mirror of its failover group) is reached over the network.
bool is_remote_spec(const std::string& spec);

// One store from one spec. What the store can do beyond reading is its type: a directory opens
// as a LocalStore (WriteStore, ListStore, PruneStore); ask with std::dynamic_pointer_cast.
// Throws Errc::usage for an unknown, upper-case or not yet supported scheme and a malformed URL,
// Errc::not_found for a directory that does not exist; the message names the spec.
std::shared_ptr<Store> open_store(const std::string& spec, StoreOptions& options);
// Several specs in order (a chunk missing from one is looked for in the next): a RouterStore, or
// the store itself when there is one.
std::shared_ptr<Store> open_stores(const std::vector<std::string>& specs, StoreOptions& options);
// A store that must take writes; fails naming the spec when its scheme cannot.
std::shared_ptr<WriteStore> open_write_store(const std::string& spec, StoreOptions& options);

// A store that can list its chunks (for verify and prune); fails naming the spec when it cannot.
std::shared_ptr<ListStore> open_list_store(const std::string& spec, StoreOptions& options);

// The fetcher `options` shares between remote stores (made on first use).
std::shared_ptr<BatchFetcher> shared_fetcher(StoreOptions& options);

}  // namespace chunkbench
