// netem scenario parsing from text (JSON text -> scenario_from_json, what load_scenario does with a
// file). Properties: bad input is a chunkbench::Error (nlohmann's own exceptions must not escape); a
// scenario that parses survives to_json() -> scenario_from_json() unchanged; describe() works on it.
// Loss is the one inexact field: to_json writes it as a percentage with 10 significant digits, so it
// comes back within 1e-9 relative (netem's own loss resolution is 2^-32); anything else must be exact.
#include <cmath>
#include <cstdint>
#include <utility>
#include <string>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/netem/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  chunkbench::netem::Scenario s;
  try {
    s = chunkbench::netem::scenario_from_json(j, "fuzz.json");
  } catch (const chunkbench::Error&) {
    return 0;
  }
  (void)s.describe();
  auto again = chunkbench::netem::scenario_from_json(s.to_json(), "round trip");
  for (auto [a, b] : {std::pair{&again.up, &s.up}, std::pair{&again.down, &s.down}}) {
    FUZZ_CHECK(std::fabs(a->loss - b->loss) <= 1e-9 * b->loss, "loss %.17g came back as %.17g", b->loss, a->loss);
    a->loss = b->loss;
  }
  FUZZ_CHECK(again == s, "scenario changed in a to_json round trip:\n%s\n%s", s.to_json().dump().c_str(),
             again.to_json().dump().c_str());
  return 0;
}
