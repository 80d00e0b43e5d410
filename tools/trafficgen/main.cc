// watchpost-trafficgen: writes a deterministic pcap for one scenario. The same command gives
// the same bytes, so captures checked into the repository can be regenerated and compared.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator.h"
#include "scenarios.h"

namespace {

using wp::trafficgen::FloodOptions;

constexpr const char* kUsage =
    "usage: watchpost-trafficgen SCENARIO OUT.pcap [--seed N]\n"
    "                            [--flows N] [--packets-per-flow K] [--payload-size S]\n"
    "       watchpost-trafficgen --list\n"
    "Writes the scenario's traffic to OUT.pcap (Ethernet, microsecond timestamps from\n"
    "2025-07-01T03:04:05Z). The same arguments always give the same bytes.\n"
    "  --seed N              random seed for ports, sequence numbers and IDs (default 20250701)\n"
    "  --flows N             flood: number of TCP sessions (default 1000)\n"
    "  --packets-per-flow K  flood: data packets per session, besides handshake and close\n"
    "                        (default 10)\n"
    "  --payload-size S      flood: bytes per data packet, 1..1460 (default 512)\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "watchpost-trafficgen: %s\n%s", message.c_str(), kUsage);
  return 2;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> positional;
  std::uint64_t seed = wp::trafficgen::kDefaultSeed;
  FloodOptions flood;
  bool flood_option_given = false;

  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--list") {
      for (const auto& s : wp::trafficgen::scenario_list()) {
        std::printf("%-8s %.*s\n", std::string(s.name).c_str(),
                    static_cast<int>(s.description.size()), s.description.data());
      }
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--seed" || arg == "--flows" || arg == "--packets-per-flow" ||
        arg == "--payload-size") {
      if (i + 1 >= argc) return usage_error(std::string(arg) + " needs a value");
      const auto value = parse_number(argv[++i]);
      if (!value) {
        return usage_error(std::string(arg) + ": '" + argv[i] + "' is not a non-negative integer");
      }
      if (arg == "--seed") {
        seed = *value;
        continue;
      }
      flood_option_given = true;
      if (arg == "--flows") {
        if (*value == 0) return usage_error("--flows must be at least 1");
        flood.flows = *value;
      } else if (arg == "--packets-per-flow") {
        if (*value > 1000000) return usage_error("--packets-per-flow must be at most 1000000");
        flood.packets_per_flow = static_cast<std::uint32_t>(*value);
      } else {
        if (*value == 0 || *value > 1460) return usage_error("--payload-size must be 1..1460");
        flood.payload_size = static_cast<std::uint32_t>(*value);
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-')
      return usage_error("unknown option '" + std::string(arg) + "'");
    positional.push_back(arg);
  }

  if (positional.size() != 2) return usage_error("expected SCENARIO and OUT.pcap");
  const std::string_view scenario = positional[0];
  const std::string out(positional[1]);

  bool known = false;
  for (const auto& s : wp::trafficgen::scenario_list()) known = known || s.name == scenario;
  if (!known) {
    return usage_error("unknown scenario '" + std::string(scenario) +
                       "'; run with --list to see the scenarios");
  }
  if (flood_option_given && scenario != "flood") {
    return usage_error(
        "--flows, --packets-per-flow and --payload-size apply to the flood scenario only");
  }

  // PcapWriter aborts when it cannot create the file; say why first, as an operator needs.
  if (std::FILE* probe = std::fopen(out.c_str(), "wb")) {
    std::fclose(probe);
  } else {
    std::fprintf(stderr, "watchpost-trafficgen: cannot create '%s': %s\n", out.c_str(),
                 std::strerror(errno));
    return 1;
  }

  wp::trafficgen::Generator gen(out, seed);
  if (scenario == "demo") {
    wp::trafficgen::demo(gen);
  } else if (scenario == "benign") {
    wp::trafficgen::benign(gen);
  } else {
    wp::trafficgen::flood(gen, flood);
  }
  gen.close();
  std::fprintf(stderr, "watchpost-trafficgen: wrote %llu packets (%.*s) to %s\n",
               static_cast<unsigned long long>(gen.packets()), static_cast<int>(scenario.size()),
               scenario.data(), out.c_str());
  return 0;
}
