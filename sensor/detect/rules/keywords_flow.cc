// The flow and state keywords: flow, flowbits, flowint, xbits, stream_size, and Suricata 8's
// flow counters (flow.pkts, flow.bytes and their _toserver/_toclient forms, flow.age).
#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

MaybeFailure parse_flow(RuleBuilder& b, std::string_view value) {
  FlowMatch& f = b.rule.flow;
  bool tcp_pkt_no_stream = f.no_stream && !b.have_flow;  // set by the tcp-pkt header
  b.have_flow = true;
  for (std::string_view item : split(value, ',')) {
    std::string word = to_lower(item);
    bool* bit = nullptr;
    if (word == "established") {
      bit = &f.established;
    } else if (word == "not_established") {
      bit = &f.not_established;
    } else if (word == "stateless") {
      bit = &f.stateless;
    } else if (word == "to_server" || word == "from_client") {
      bit = &f.to_server;
    } else if (word == "to_client" || word == "from_server") {
      bit = &f.to_client;
    } else if (word == "only_stream") {
      bit = &f.only_stream;
    } else if (word == "no_stream") {
      bit = &f.no_stream;
    } else if (word.empty()) {
      return invalid("flow", "empty option in " + quoted(value));
    } else {
      return invalid("flow", "unknown option " + quoted(item));
    }
    if (*bit && !(bit == &f.no_stream && tcp_pkt_no_stream)) {
      return invalid("flow", quoted(item) + " given twice");
    }
    *bit = true;
  }
  if (f.established && f.not_established)
    return invalid("flow", "established and not_established conflict");
  if (f.established && f.stateless) return invalid("flow", "established and stateless conflict");
  if (f.to_server && f.to_client) return invalid("flow", "to_server and to_client conflict");
  if (f.only_stream && f.no_stream) return invalid("flow", "only_stream and no_stream conflict");
  return std::nullopt;
}

MaybeFailure parse_flowbits(RuleBuilder& b, std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  std::string cmd = to_lower(parts[0]);
  if (cmd == "noalert") {
    if (parts.size() != 1) return invalid("flowbits", "'noalert' takes no name");
    b.rule.noalert = true;
    return std::nullopt;
  }
  FlowbitsOp op;
  if (cmd == "set") {
    op.cmd = FlowbitsOp::Cmd::kSet;
  } else if (cmd == "isset") {
    op.cmd = FlowbitsOp::Cmd::kIsSet;
  } else if (cmd == "isnotset") {
    op.cmd = FlowbitsOp::Cmd::kIsNotSet;
  } else if (cmd == "unset") {
    op.cmd = FlowbitsOp::Cmd::kUnset;
  } else if (cmd == "toggle") {
    op.cmd = FlowbitsOp::Cmd::kToggle;
  } else {
    return invalid("flowbits", "unknown command " + quoted(parts[0]));
  }
  if (parts.size() != 2 || parts[1].empty()) {
    return invalid("flowbits", quoted(cmd) + " needs one name (or names joined by | or &)");
  }
  std::string_view names = parts[1];
  bool any = names.find('|') != std::string_view::npos;
  bool all = names.find('&') != std::string_view::npos;
  if (any && all) return invalid("flowbits", "cannot mix '|' and '&' in " + quoted(names));
  if (any && op.cmd != FlowbitsOp::Cmd::kIsSet && op.cmd != FlowbitsOp::Cmd::kIsNotSet) {
    return invalid("flowbits", "'|' (any of) is only for isset and isnotset");
  }
  op.any = any;
  for (std::string_view n : split(names, any ? '|' : '&')) {
    bool good = !n.empty() && std::none_of(n.begin(), n.end(), [](char c) { return is_space(c); });
    if (!good) return invalid("flowbits", "invalid name in " + quoted(names));
    op.names.emplace_back(n);
  }
  b.rule.flowbits.push_back(std::move(op));
  return std::nullopt;
}

// A flowint name: a letter, then letters, digits, '_', '.' or '/' (Suricata's names).
bool is_flowint_name(std::string_view n) {
  return !n.empty() && std::isalpha(static_cast<unsigned char>(n[0])) &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/';
         });
}

// flowint: name, modifier[, value]  where value is a number or another flowint's name.
MaybeFailure parse_flowint(RuleBuilder& b, std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 2 || parts.size() > 3) {
    return invalid("flowint", "expected 'name,modifier[,value]', got " + quoted(value));
  }
  FlowintOp op;
  if (!is_flowint_name(parts[0]))
    return invalid("flowint", quoted(parts[0]) + " is not a valid name");
  op.name = std::string(parts[0]);
  static constexpr std::pair<std::string_view, FlowintOp::Op> kModifiers[] = {
      {"=", FlowintOp::Op::kSet},           {"+", FlowintOp::Op::kAdd},
      {"-", FlowintOp::Op::kSub},           {"==", FlowintOp::Op::kEq},
      {"!=", FlowintOp::Op::kNe},           {"<", FlowintOp::Op::kLt},
      {"<=", FlowintOp::Op::kLe},           {">", FlowintOp::Op::kGt},
      {">=", FlowintOp::Op::kGe},           {"isset", FlowintOp::Op::kIsSet},
      {"notset", FlowintOp::Op::kIsNotSet}, {"isnotset", FlowintOp::Op::kIsNotSet}};
  std::string modifier = to_lower(parts[1]);
  auto it = std::find_if(std::begin(kModifiers), std::end(kModifiers),
                         [&](const auto& m) { return m.first == modifier; });
  if (it == std::end(kModifiers)) return invalid("flowint", "unknown modifier " + quoted(parts[1]));
  op.op = it->second;
  const bool takes_value = op.op != FlowintOp::Op::kIsSet && op.op != FlowintOp::Op::kIsNotSet;
  if (!takes_value) {
    if (parts.size() == 3) return invalid("flowint", quoted(parts[1]) + " takes no value");
  } else {
    if (parts.size() < 3 || parts[2].empty()) {
      return invalid("flowint", quoted(parts[1]) + " needs a value");
    }
    std::string_view target = parts[2];
    if (std::isdigit(static_cast<unsigned char>(target[0]))) {
      auto n = parse_decimal(target, std::numeric_limits<std::uint32_t>::max());
      if (!n) {
        return invalid("flowint", quoted(target) + " is not a number from 0 to 4294967295");
      }
      op.value = static_cast<std::uint32_t>(*n);
    } else if (is_flowint_name(target)) {
      op.target_var = std::string(target);
    } else {
      return invalid("flowint", quoted(target) + " is not a number or a flowint name");
    }
  }
  b.rule.flowints.push_back(std::move(op));
  return std::nullopt;
}

// xbits: cmd, name, track ip_src|ip_dst|ip_pair[, expire N]; or noalert.
MaybeFailure parse_xbits(RuleBuilder& b, std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  std::string cmd = to_lower(parts[0]);
  if (cmd == "noalert") {
    if (parts.size() != 1) return invalid("xbits", "'noalert' takes no name");
    b.rule.noalert = true;
    return std::nullopt;
  }
  XbitsOp op;
  if (cmd == "set") {
    op.cmd = XbitsOp::Cmd::kSet;
  } else if (cmd == "unset") {
    op.cmd = XbitsOp::Cmd::kUnset;
  } else if (cmd == "toggle") {
    op.cmd = XbitsOp::Cmd::kToggle;
  } else if (cmd == "isset") {
    op.cmd = XbitsOp::Cmd::kIsSet;
  } else if (cmd == "isnotset") {
    op.cmd = XbitsOp::Cmd::kIsNotSet;
  } else {
    return invalid("xbits", "unknown command " + quoted(parts[0]));
  }
  if (parts.size() < 2 || parts[1].empty()) return invalid("xbits", quoted(cmd) + " needs a name");
  std::string_view bit = parts[1];
  if (std::any_of(bit.begin(), bit.end(),
                  [](char c) { return is_space(c) || c == '|' || c == '&'; })) {
    return invalid("xbits", "invalid name " + quoted(bit) + " (one name per xbits)");
  }
  op.name = std::string(bit);
  bool have_track = false;
  bool have_expire = false;
  for (std::size_t i = 2; i < parts.size(); ++i) {
    std::string_view item = parts[i];
    std::size_t space = item.find_first_of(" \t");
    std::string key = to_lower(item.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(item.substr(space));
    if (key == "track") {
      if (have_track) return invalid("xbits", "'track' given twice");
      have_track = true;
      std::string t = to_lower(arg);
      if (t == "ip_src") {
        op.track = XbitsOp::Track::kIpSrc;
      } else if (t == "ip_dst") {
        op.track = XbitsOp::Track::kIpDst;
      } else if (t == "ip_pair") {
        op.track = XbitsOp::Track::kIpPair;
      } else if (t == "tx") {
        return not_supported("xbits track 'tx' not supported yet");
      } else {
        return invalid("xbits",
                       "unknown track " + quoted(arg) + " (expected ip_src, ip_dst or ip_pair)");
      }
    } else if (key == "expire") {
      if (have_expire) return invalid("xbits", "'expire' given twice");
      have_expire = true;
      auto n = parse_decimal(arg, std::numeric_limits<std::uint32_t>::max());
      if (!n || *n == 0)
        return invalid("xbits", "expire " + quoted(arg) + " is not a positive number");
      op.expire = static_cast<std::uint32_t>(*n);
    } else {
      return invalid("xbits", "unknown option " + quoted(item));
    }
  }
  if (!have_track) return invalid("xbits", "missing 'track ip_src|ip_dst|ip_pair'");
  b.rule.xbits.push_back(std::move(op));
  return std::nullopt;
}

// stream_size:<server|client|both|either>,<op>,<number>, op one of < <= > >= = !=.
MaybeFailure parse_stream_size(RuleBuilder& b, std::string_view value) {
  const std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() != 3) {
    return invalid("stream_size", "expected <server|client|both|either>,<op>,<number>");
  }
  Rule::StreamSize ss;
  const std::string side = to_lower(parts[0]);
  if (side == "client") {
    ss.side = Rule::StreamSize::Side::kClient;
  } else if (side == "server") {
    ss.side = Rule::StreamSize::Side::kServer;
  } else if (side == "both") {
    ss.side = Rule::StreamSize::Side::kBoth;
  } else if (side == "either") {
    ss.side = Rule::StreamSize::Side::kEither;
  } else {
    return invalid("stream_size", "unknown side " + quoted(parts[0]) +
                                      " (expected server, client, both or either)");
  }
  static constexpr std::pair<std::string_view, NumCmp::Op> kOps[] = {
      {"<", NumCmp::Op::kLt},  {"<=", NumCmp::Op::kLe}, {">", NumCmp::Op::kGt},
      {">=", NumCmp::Op::kGe}, {"=", NumCmp::Op::kEq},  {"!=", NumCmp::Op::kNe}};
  bool op_ok = false;
  for (const auto& [text, op] : kOps) {
    if (parts[1] == text) {
      ss.cmp.op = op;
      op_ok = true;
    }
  }
  if (!op_ok) return invalid("stream_size", "unknown operator " + quoted(parts[1]));
  auto n = parse_uint(parts[2]);
  if (!n || *n > std::numeric_limits<std::uint32_t>::max()) {
    return invalid("stream_size", quoted(parts[2]) + " is not a valid size");
  }
  ss.cmp.a = static_cast<std::int64_t>(*n);
  // Stream sizes are 64-bit here: only "<0" can never match.
  if (never_matches(ss.cmp, std::numeric_limits<std::int64_t>::max())) {
    return invalid("stream_size", never_matches_message(value));
  }
  b.rule.stream_sizes.push_back(ss);
  return std::nullopt;
}

// flow.pkts / flow.bytes: "DIR,CMP" with DIR toserver, toclient, either or both; the
// Suricata 7 names flow.pkts_toserver etc. take "CMP" alone; flow.age takes "CMP" (seconds).
MaybeFailure parse_flow_counter(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  using FC = Rule::FlowCounter;
  FC fc;
  const std::string_view name = kw.name;
  std::string_view cmp_text = opt.value;
  fc.what = name.starts_with("flow.pkts") ? FC::What::kPkts
            : name.starts_with("flow.bytes") ? FC::What::kBytes
                                             : FC::What::kAge;
  auto dir_of = [](std::string_view d) -> std::optional<FC::Dir> {
    const std::string t = to_lower(trim(d));
    if (t == "toserver") return FC::Dir::kToServer;
    if (t == "toclient") return FC::Dir::kToClient;
    if (t == "either") return FC::Dir::kEither;
    if (t == "both") return FC::Dir::kBoth;
    return std::nullopt;
  };
  if (name.ends_with("_toserver")) {
    fc.dir = FC::Dir::kToServer;
  } else if (name.ends_with("_toclient")) {
    fc.dir = FC::Dir::kToClient;
  } else if (fc.what != FC::What::kAge) {
    const std::size_t comma = cmp_text.find(',');
    if (comma == std::string_view::npos) {
      return invalid(name, "expected 'toserver|toclient|either|both,[op]N', got " + quoted(cmp_text));
    }
    auto d = dir_of(cmp_text.substr(0, comma));
    if (!d) return invalid(name, "unknown direction " + quoted(trim(cmp_text.substr(0, comma))));
    fc.dir = *d;
    cmp_text = cmp_text.substr(comma + 1);
  }
  const std::int64_t max = fc.what == FC::What::kAge ? std::numeric_limits<std::uint32_t>::max()
                                                      : std::numeric_limits<std::int64_t>::max();
  auto c = parse_numcmp(cmp_text, max, kSuricataUint);
  if (!c) return invalid(name, quoted(trim(cmp_text)) + " is not a valid value");
  if (never_matches(*c, max)) return invalid(name, never_matches_message(cmp_text));
  fc.cmp = *c;
  b.rule.flow_counters.push_back(fc);
  return std::nullopt;
}

constexpr KeywordDef flow_counter_row(std::string_view name) {
  return {.name = name, .family = KeywordFamily::kFlowState, .parse = parse_flow_counter};
}

constexpr KeywordDef kFlowKeywords[] = {
    {.name = "flow", .family = KeywordFamily::kFlowState, .parse = with_value<parse_flow>},
    {.name = "flowbits", .family = KeywordFamily::kFlowState, .parse = with_value<parse_flowbits>},
    {.name = "flowint", .family = KeywordFamily::kFlowState, .parse = with_value<parse_flowint>},
    {.name = "xbits", .family = KeywordFamily::kFlowState, .parse = with_value<parse_xbits>},
    {.name = "stream_size",
     .family = KeywordFamily::kFlowState,
     .parse = with_value<parse_stream_size>},
    flow_counter_row("flow.pkts"),
    flow_counter_row("flow.bytes"),
    flow_counter_row("flow.pkts_toserver"),
    flow_counter_row("flow.pkts_toclient"),
    flow_counter_row("flow.bytes_toserver"),
    flow_counter_row("flow.bytes_toclient"),
    flow_counter_row("flow.age"),
};

}  // namespace

std::span<const KeywordDef> flow_keywords() { return kFlowKeywords; }

}  // namespace wp::detect::lang
