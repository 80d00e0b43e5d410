#include "app/control.h"

#include <gtest/gtest.h>

#include "app/pipeline.h"

namespace wp::app {
namespace {

TEST(ControlCommand, TakesTheCommandOfAJsonLine) {
  struct Case {
    const char* line;
    const char* command;
  };
  const Case cases[] = {
      {R"({"command":"reload-rules"})", "reload-rules"},
      {R"({ "command" : "stats" })", "stats"},
      {R"({"command":"ruleset-stats","arguments":{}})", "ruleset-stats"},
      {R"({"version":"0.2"})", ""},
      {"stats", ""},
      {R"({"command":42})", ""},
      {R"({"command":"unterminated)", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(control_command(c.line), c.command) << c.line;
}

TEST(PrometheusText, CountersAreNamedByStageWithLabelsAndOneTypeLine) {
  Counters w0, w1, cap;
  w0.inc(w0.add("decoder.pkts"), 5);
  w0.inc(w0.add("decoder.event.ipv4.trunc_pkt"), 1);
  w1.inc(w1.add("decoder.pkts"), 7);
  cap.inc(cap.add("capture.kernel_drops"), 2);
  const std::string text = prometheus_text({
      {&w0, {{"worker", "0"}, {"site", "nha-trang"}}},
      {&w1, {{"worker", "1"}, {"site", "nha-trang"}}},
      {&cap, {{"iface", "eth0"}, {"site", ""}}},
  });
  EXPECT_EQ(text,
            "# TYPE watchpost_capture_kernel_drops_total counter\n"
            "watchpost_capture_kernel_drops_total{iface=\"eth0\"} 2\n"
            "# TYPE watchpost_decoder_event_ipv4_trunc_pkt_total counter\n"
            "watchpost_decoder_event_ipv4_trunc_pkt_total{worker=\"0\",site=\"nha-trang\"} 1\n"
            "# TYPE watchpost_decoder_pkts_total counter\n"
            "watchpost_decoder_pkts_total{worker=\"0\",site=\"nha-trang\"} 5\n"
            "watchpost_decoder_pkts_total{worker=\"1\",site=\"nha-trang\"} 7\n");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  Counters c;
  c.inc(c.add("flow.total"));
  EXPECT_EQ(prometheus_text({{&c, {{"site", "a\"b\\c"}}}}),
            "# TYPE watchpost_flow_total_total counter\n"
            "watchpost_flow_total_total{site=\"a\\\"b\\\\c\"} 1\n");
}

}  // namespace
}  // namespace wp::app
