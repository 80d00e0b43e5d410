// One rule set, one Detector and a Decoder without checksum validation (the checksum
// keywords compute what they need themselves): the sids a frame built by a test matches as a
// packet without a flow. Header-only: tests that include it link wp_detect and wp_decode.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/detector.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/rule_texts.h"

namespace wp::testing {

struct PacketRuleHarness {
  explicit PacketRuleHarness(const std::vector<std::string>& texts)
      : decoder(decode::DecoderConfig{.validate_checksums = false}, counters) {
    detect::RuleParser parser(detect::RuleVars::suricata_defaults());
    auto built = detect::RuleSet::build(parse_rule_texts(parser, texts),
                                        detect::ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(built.ok());
    set = built.value();
    detector = std::make_unique<detect::Detector>(set, detect::DetectorConfig{}, counters);
  }

  std::vector<std::uint32_t> sids(const Frame& frame) {
    capture::RawPacket raw;
    raw.data = frame.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(frame.size());
    raw.number = ++number;
    decode::Packet pkt;
    EXPECT_EQ(decoder.decode(raw, pkt), decode::DecodeStatus::kOk);
    std::vector<std::uint32_t> out;
    for (std::uint32_t idx : detector->inspect(pkt, flow::FlowRef{})) {
      out.push_back(set->rules()[idx].rule.sid);
    }
    return out;
  }

  Counters counters;
  decode::Decoder decoder;
  std::shared_ptr<const detect::RuleSet> set;
  std::unique_ptr<detect::Detector> detector;
  std::uint64_t number = 0;
};

}  // namespace wp::testing
