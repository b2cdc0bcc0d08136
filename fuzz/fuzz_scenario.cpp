// netem scenario parsing from text (JSON text -> scenario_from_json, what load_scenario does with a
// file). Properties: bad input is a chunkbench::Error (nlohmann's own exceptions must not escape); a
// scenario that parses survives to_json() -> scenario_from_json() unchanged; describe() works on it.
// Every field must come back exact (loss too: to_json writes it as a fraction, since a percentage's
// decimal text did not read back as the same double; corpus seed loss-rounding.json).
#include <cstdint>
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
  FUZZ_CHECK(again == s, "scenario changed in a to_json round trip:\n%s\n%s", s.to_json().dump().c_str(),
             again.to_json().dump().c_str());
  return 0;
}
