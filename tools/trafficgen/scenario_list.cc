#include "scenarios.h"

namespace wp::trafficgen {

const std::vector<ScenarioInfo>& scenario_list() {
  static const std::vector<ScenarioInfo> kList = {
      {"demo",
       "data centre server link: benign web/DNS/ICMP/IPv6/VLAN traffic plus the attacks "
       "the bundled rules detect"},
      {"benign", "look-alikes of the demo's attacks; no bundled rule may fire"},
      {"flood",
       "N synthetic TCP sessions for benchmarks (--flows N --packets-per-flow K "
       "--payload-size S)"},
  };
  return kList;
}

}  // namespace wp::trafficgen
