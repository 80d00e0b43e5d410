#include "detect/rules/rule_parser.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect {

RuleVars RuleVars::suricata_defaults() {
  RuleVars v;
  v.address_groups = {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
      // Snort's snort.conf groups, used by the Snort-edition and community rules.
      {"SSH_SERVERS", "$HOME_NET"},
      {"FTP_SERVERS", "$HOME_NET"},
      {"SIP_SERVERS", "$HOME_NET"},
  };
  v.port_groups = {
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
      // Snort's snort.conf groups.
      {"SIP_PORTS", "[5060,5061,5600]"},
      {"GTP_PORTS", "[2123,2152,3386]"},
  };
  return v;
}

namespace {

using namespace lang;

// ---------------------------------------------------------------------------------------
// Header: address and port groups

// Expands $VARS textually (each value wrapped in [] so negation applies to all of it).
class VarExpander {
 public:
  VarExpander(const std::map<std::string, std::string>& groups, std::string_view kind)
      : groups_(groups), kind_(kind) {}

  std::optional<Failure> expand(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$') {
        // Copy up to the next variable at once (address lists can be thousands of bytes).
        const std::size_t next = std::min(text.find('$', i), text.size());
        out.append(text.substr(i, next - i));
        i = next - 1;
        continue;
      }
      std::size_t end = i + 1;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
      std::string name(text.substr(i + 1, end - i - 1));
      if (name.empty()) return invalid(kind_, "'$' without a variable name");
      auto it = groups_.find(name);
      if (it == groups_.end()) {
        return Failure{"undefined variable", "undefined variable '$" + name + "'"};
      }
      if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
        return invalid(kind_, "variable '$" + name + "' refers to itself");
      }
      // A variable that is the whole text needs no brackets: "$EXTERNAL_NET" and
      // "!$HOME_NET" then expand to the same text and share one set.
      bool whole = i == 0 && end == text.size();
      stack_.push_back(name);
      if (!whole) out.push_back('[');
      if (auto f = expand(it->second, out)) return f;
      if (!whole) out.push_back(']');
      stack_.pop_back();
      i = end - 1;
    }
    return std::nullopt;
  }

 private:
  const std::map<std::string, std::string>& groups_;
  std::string kind_;
  std::vector<std::string> stack_;
};

// Recursive-descent parser of an expanded address or port group:
//   group := item (',' item)*      item := '!' item | '[' group ']' | 'any' | literal
// A group is the union of its positive items minus its negated items; a group with only
// negated items starts from "any".
template <typename Set, typename Traits>
class GroupParser {
 public:
  explicit GroupParser(std::string_view text) : s_(text) {}

  std::optional<Failure> parse(Set& out) {
    if (auto f = group(out)) return f;
    skip_space();
    if (pos_ != s_.size()) return invalid(Traits::kKind, "unbalanced ']' in " + quoted(s_));
    return std::nullopt;
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  std::optional<Failure> group(Set& out) {
    // Ranges are collected and normalized once: uniting item by item was quadratic in the
    // length of a list (ET's IP-reputation rules list hundreds of addresses).
    std::vector<typename Traits::Range> positive, negative;
    bool any_positive = false;
    while (true) {
      bool negated = false;
      Set item = Set::from_ranges({});
      if (auto f = parse_item(item, negated)) return f;
      auto& into = negated ? negative : positive;
      into.insert(into.end(), item.ranges().begin(), item.ranges().end());
      if (!negated) any_positive = true;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    const Set pos = any_positive ? Set::from_ranges(std::move(positive)) : Traits::any();
    out = pos.subtract(Set::from_ranges(std::move(negative)));
    return std::nullopt;
  }

  std::optional<Failure> parse_item(Set& out, bool& negated) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '!') {
      negated = true;
      ++pos_;
      skip_space();
      // Suricata rejects "!!a" (and "!!!a"): a typo more often than a double negative.
      if (pos_ < s_.size() && s_[pos_] == '!') {
        return invalid(Traits::kKind, "multiple negation ('!!') in " + quoted(s_));
      }
    }
    if (pos_ < s_.size() && s_[pos_] == '[') {
      ++pos_;
      if (++depth_ > 64) return invalid(Traits::kKind, "lists nested too deeply");
      if (auto f = group(out)) return f;
      --depth_;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ']') {
        return invalid(Traits::kKind, "unbalanced '[' in " + quoted(s_));
      }
      ++pos_;
      return std::nullopt;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '[' &&
           !is_space(s_[pos_])) {
      ++pos_;
    }
    std::string_view word = s_.substr(start, pos_ - start);
    if (word.empty()) return invalid(Traits::kKind, "empty list item in " + quoted(s_));
    if (word == "any") {
      out = Traits::any();
      return std::nullopt;
    }
    return Traits::literal(word, out);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

struct AddressTraits {
  using Range = IpRange;
  static constexpr std::string_view kKind = "address";
  static AddressSet any() { return AddressSet::any(); }
  static std::optional<Failure> literal(std::string_view word, AddressSet& out) {
    IpRange r;
    if (!AddressSet::parse_cidr(std::string(word), r)) {
      return invalid(kKind, quoted(word) + " is not an IP address or CIDR block");
    }
    out = AddressSet::from_ranges({r});
    return std::nullopt;
  }
};

struct PortTraits {
  using Range = PortRange;
  static constexpr std::string_view kKind = "port";
  static PortSet any() { return PortSet::any(); }
  static std::optional<Failure> literal(std::string_view word, PortSet& out) {
    std::size_t colon = word.find(':');
    std::string_view lo_text = word.substr(0, colon);
    std::string_view hi_text = colon == std::string_view::npos ? lo_text : word.substr(colon + 1);
    if (colon != std::string_view::npos && lo_text.empty() && hi_text.empty()) {
      return invalid(kKind, quoted(word) + " is not a port or port range");
    }
    std::optional<std::int64_t> lo = lo_text.empty() ? 0 : parse_decimal(lo_text, 65535);
    std::optional<std::int64_t> hi = hi_text.empty() ? 65535 : parse_decimal(hi_text, 65535);
    if (!lo || !hi) {
      bool digits =
          (lo_text.empty() || is_digits(lo_text)) && (hi_text.empty() || is_digits(hi_text));
      return invalid(kKind,
                     quoted(word) + (digits ? " is out of range" : " is not a port or port range"));
    }
    if (*lo > *hi) return invalid(kKind, quoted(word) + " is an empty range");
    out =
        PortSet::from_ranges({{static_cast<std::uint16_t>(*lo), static_cast<std::uint16_t>(*hi)}});
    return std::nullopt;
  }
};

template <typename Set, typename Traits>
std::optional<Failure> resolve_group(std::string_view text,
                                     const std::map<std::string, std::string>& groups,
                                     std::map<std::string, std::shared_ptr<const Set>>& cache,
                                     std::shared_ptr<const Set>& out) {
  std::string expanded;
  VarExpander expander(groups, Traits::kKind);
  if (auto f = expander.expand(text, expanded)) return f;
  if (auto it = cache.find(expanded); it != cache.end()) {
    out = it->second;
    return std::nullopt;
  }
  Set set = Set::from_ranges({});
  if (auto f = GroupParser<Set, Traits>(expanded).parse(set)) return f;
  if (set.empty()) {
    return invalid(Traits::kKind, quoted(text) + " matches no " + std::string(Traits::kKind));
  }
  out = std::make_shared<const Set>(std::move(set));
  cache.emplace(std::move(expanded), out);
  return std::nullopt;
}

bool names_explicit_list(std::string_view text) {
  return text != "any" && text.find('$') == std::string_view::npos;
}


// ---------------------------------------------------------------------------------------
// Options

// Splits the option list on unescaped ';'. Returns false on an empty option.
bool split_options(std::string_view body, std::vector<Option>& out, Failure& fail) {
  std::size_t start = 0;
  bool escaped = false;
  for (std::size_t i = 0; i <= body.size(); ++i) {
    bool at_end = i == body.size();
    if (!at_end) {
      char c = body[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
        continue;
      }
      if (c != ';') continue;
    }
    std::string_view text = trim(body.substr(start, i - start));
    start = i + 1;
    if (text.empty()) {
      if (at_end) break;  // after the last ';'
      fail = failure("syntax error", "empty option");
      return false;
    }
    Option opt;
    std::size_t colon = text.find(':');
    opt.name = trim(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      opt.value = trim(text.substr(colon + 1));
      opt.has_value = true;
    }
    bool good_name = !opt.name.empty() && std::all_of(opt.name.begin(), opt.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
    if (!good_name) {
      fail = failure("syntax error", "invalid option " + quoted(text.substr(0, 40)));
      return false;
    }
    out.push_back(opt);
  }
  return true;
}


// One rule's options applied through the keyword registry (keyword.h).
class OptionBuilder {
 public:
  explicit OptionBuilder(Rule& rule) : b_(rule) {}

  MaybeFailure apply(const Option& opt);
  MaybeFailure finish();

 private:
  MaybeFailure sticky_buffer(BufferId id, std::string_view name);
  MaybeFailure settle_app_proto();

  RuleBuilder b_;
  std::vector<const KeywordDef*> seen_once_;
};

MaybeFailure OptionBuilder::apply(const Option& opt) {
  const std::string name = to_lower(opt.name);
  const KeywordDef* kw = find_keyword(name);
  const std::optional<BufferId> buffer = kw == nullptr ? find_buffer(name) : std::nullopt;
  if (kw == nullptr && !buffer) {
    if (recognised_buffer(name)) {
      b_.unsupported_buffer = name;  // sticky: bsize after it applies to it
      return not_supported("buffer " + quoted(name) + " not supported yet");
    }
    if (recognised_unsupported_keyword(name)) {
      return not_supported("unsupported keyword " + quoted(name));
    }
    if (snort3_keyword(name)) return snort3_syntax("the keyword " + quoted(opt.name));
    return failure("unknown keyword " + quoted(opt.name));
  }
  if (kw == nullptr || !kw->raw_quotes) {
    if (auto f = check_closing_quote(name, opt.value, false)) return f;
  }
  const ValueForm form = kw != nullptr ? kw->value : ValueForm::kNone;
  switch (form) {
    case ValueForm::kNone:
      if (opt.has_value) return invalid(name, "takes no value");
      break;
    case ValueForm::kOptional:
      if (opt.has_value && opt.value.empty()) return invalid(name, "missing value");
      break;
    case ValueForm::kRequired:
      if (opt.value.empty()) return invalid(name, "missing value");
      break;
  }
  if (buffer) return sticky_buffer(*buffer, name);
  if (kw->once) {
    if (std::find(seen_once_.begin(), seen_once_.end(), kw) != seen_once_.end()) {
      return invalid(name, "given twice");
    }
    seen_once_.push_back(kw);
  }
  return kw->parse(b_, *kw, opt);
}

RuleProto header_rule_proto(std::string_view name) {
  return name == "tcp" ? RuleProto::kTcp : name == "udp" ? RuleProto::kUdp : RuleProto::kIcmp;
}

// A sticky buffer keyword (a row of the buffer table): the payload items that follow inspect
// that buffer.
MaybeFailure OptionBuilder::sticky_buffer(BufferId id, std::string_view name) {
  const BufferDef& def = buffer_def(id);
  if (!def.produced_by.empty() &&
      std::find(b_.produced.begin(), b_.produced.end(), def.produced_by) == b_.produced.end()) {
    // Suricata: the decoded data exists only after a base64_decode.
    return invalid(name, "no preceding " + std::string(def.produced_by));
  }
  if (!def.header_proto.empty() && b_.rule.proto != RuleProto::kIp &&
      b_.rule.proto != header_rule_proto(def.header_proto)) {
    // Suricata refuses a header buffer the rule's protocol cannot carry (tcp.hdr in a udp rule).
    return invalid(name, "needs a rule of protocol " + std::string(def.header_proto) + " or ip");
  }
  b_.buffer = id;
  b_.chain = 0;
  b_.sticky_start = b_.rule.payload.size();
  b_.unsupported_buffer.clear();
  return std::nullopt;
}

MaybeFailure OptionBuilder::finish() {
  for (const PayloadItem& item : b_.rule.payload) {
    const auto* c = std::get_if<ContentMatch>(&item.match);
    if (c == nullptr || !c->fast_pattern_only) continue;
    if (c->negated || c->offset || c->depth || c->relative() || c->startswith || c->endswith) {
      return invalid("fast_pattern",
                     "'only' cannot be combined with negation, offset, depth, distance, within, "
                     "startswith or endswith");
    }
  }
  if (!b_.have_sid) return failure("missing sid");
  return settle_app_proto();
}

// The protocol of a rule's transaction buffers and keywords: one, and the header's when the
// header names one. A rule with a transport protocol in its header takes it from them
// (`alert udp ... dns.query;` inspects DNS transactions, as in Suricata).
MaybeFailure OptionBuilder::settle_app_proto() {
  Rule& r = b_.rule;
  AppProto app = r.app_proto;
  auto take = [&](AppProto p, std::string_view what) -> MaybeFailure {
    if (app == AppProto::kUnknown) app = p;
    if (app == p) return std::nullopt;
    return invalid("protocol", std::string(what) + " is " + std::string(app_proto_name(p)) +
                                   ", the rule's protocol " + std::string(app_proto_name(app)));
  };
  for (PayloadItem& item : r.payload) {
    // file.data names the files of the rule's protocol: SMTP's decoded message parts.
    if (item.buffer == kFileData && app == AppProto::kSmtp) item.buffer = kSmtpFileData;
    const BufferDef& def = buffer_def(item.buffer);
    if (def.scope != BufferScope::kTransaction) continue;
    if (item.buffer == kFileData && app != AppProto::kUnknown && app != AppProto::kHttp) {
      // Suricata's file.data also reads files of SMB, FTP, ...: HTTP's and SMTP's here.
      return not_supported("buffer 'file.data' not supported yet",
                           "buffer 'file.data' not supported yet on " +
                               std::string(app_proto_name(app)) + " (only HTTP and SMTP)");
    }
    if (auto f = take(*parse_app_proto(def.app_proto), def.name)) return f;
  }
  for (const TxTest& t : r.tx_tests) {
    if (auto f = take(t.proto, "a keyword's protocol")) return f;
  }
  r.app_proto = app;
  return std::nullopt;
}


// Finds the sid before anything else so that every later message can name it.
std::optional<std::uint32_t> scan_sid(const std::vector<Option>& options) {
  for (const Option& o : options) {
    if (o.name.size() == 3 && to_lower(o.name) == "sid") {
      auto n = parse_decimal(o.value, std::numeric_limits<std::uint32_t>::max());
      if (n && *n > 0) return static_cast<std::uint32_t>(*n);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Splits the header on whitespace outside brackets.
std::vector<std::string_view> header_fields(std::string_view header) {
  std::vector<std::string_view> out;
  std::size_t start = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = 0; i <= header.size(); ++i) {
    bool end = i == header.size() || (depth <= 0 && is_space(header[i]));
    if (end) {
      if (start != std::string_view::npos) out.push_back(header.substr(start, i - start));
      start = std::string_view::npos;
      continue;
    }
    if (start == std::string_view::npos) start = i;
    if (header[i] == '[') ++depth;
    if (header[i] == ']') --depth;
  }
  return out;
}

std::string location_of(std::string_view file, int line) {
  std::string where(file);
  if (line > 0) where += ":" + std::to_string(line);
  return where;
}

}  // namespace

std::optional<std::int8_t> RuleBuilder::find_var(std::string_view name) const {
  for (std::size_t i = 0; i < rule.byte_vars.size(); ++i) {
    if (rule.byte_vars[i] == name) return static_cast<std::int8_t>(i);
  }
  return std::nullopt;
}

namespace lang {

MaybeFailure RuleBuilder::define_var(std::string_view keyword, std::string_view name,
                                                 std::int8_t& slot) {
  if (!valid_var_name(name)) {
    return invalid(keyword, "invalid variable name " + quoted(name));
  }
  if (auto existing = find_var(name)) {
    // byte_math may store into a name again (its value is replaced); a second byte_extract
    // into one name is a copy-and-paste mistake far more often than intended.
    if (keyword == "byte_extract") {
      return invalid(keyword, "variable " + quoted(name) + " already set by an earlier " +
                                  "byte_extract or byte_math");
    }
    slot = *existing;
    return std::nullopt;
  }
  if (rule.byte_vars.size() >= kMaxByteVars) {
    return invalid(keyword, "more than " + std::to_string(kMaxByteVars) +
                                " byte_extract/byte_math variables in one rule");
  }
  slot = static_cast<std::int8_t>(rule.byte_vars.size());
  rule.byte_vars.emplace_back(name);
  return std::nullopt;
}

MaybeFailure RuleBuilder::number_or_var(std::string_view keyword, std::string_view what,
                                                    std::string_view text, std::int64_t min,
                                                    std::int64_t max, std::int64_t& value,
                                                    std::int8_t& var) const {
  text = trim(text);
  if (is_var_name(text)) {
    auto slot = find_var(text);
    if (!slot) {
      return invalid(keyword, "unknown variable " + quoted(text) +
                                  " (not set by an earlier byte_extract or byte_math)");
    }
    var = *slot;
    return std::nullopt;
  }
  auto n = parse_c_integer(text, min, max);
  if (!n) {
    return invalid(keyword, std::string(what) + " " + quoted(text) + " is not a number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  }
  value = *n;
  return std::nullopt;
}

// Bytes a keyword may read: binary 1 to 8; as a string, what fits the keyword's conversion

}  // namespace lang

RuleParser::RuleParser(RuleVars vars) : vars_(std::move(vars)) {}

Result<Rule> RuleParser::parse(std::string_view text, std::string_view file, int line) {
  return parse_rule(text, file, line, nullptr);
}

Result<Rule> RuleParser::parse_rule(std::string_view text, std::string_view file, int line,
                                    RuleError* detail) {
  Rule rule;
  std::optional<std::uint32_t> sid;
  MaybeFailure deferred;  // the first "not supported yet"
  auto run = [&]() -> MaybeFailure {
    text = trim(text);
    std::size_t open = text.find('(');
    if (open == std::string_view::npos)
      return failure("syntax error", "missing '(' before the options");
    if (text.back() != ')') return failure("syntax error", "rule does not end with ')'");
    std::vector<Option> options;
    Failure fail;
    if (!split_options(text.substr(open + 1, text.size() - open - 2), options, fail)) return fail;
    sid = scan_sid(options);

    // Header: action proto src_addr src_port direction dst_addr dst_port
    std::vector<std::string_view> h = header_fields(text.substr(0, open));
    if (h.empty()) return failure("syntax error", "missing rule header");
    std::string action = to_lower(h[0]);
    if (action == "alert") {
      rule.action = Action::kAlert;
    } else if (action == "pass") {
      rule.action = Action::kPass;
    } else if (action == "drop") {
      rule.action = Action::kDrop;
    } else if (action == "reject" || action == "rejectsrc" || action == "rejectdst" ||
               action == "rejectboth") {
      rule.action = Action::kReject;
    } else {
      return invalid("action", quoted(h[0]) + " (expected alert, pass, drop or reject)");
    }
    if (h.size() < 2) return failure("syntax error", "missing protocol");
    std::string proto = to_lower(h[1]);
    if (proto == "ip" || proto == "pkthdr") {
      rule.proto = RuleProto::kIp;
    } else if (proto == "ipv4" || proto == "ip4" || proto == "ipv6" || proto == "ip6") {
      rule.proto = RuleProto::kIp;
      require_ip_version(rule, proto.back() == '4' ? 4 : 6);
    } else if (proto == "tcp" || proto == "tcp-pkt" || proto == "tcp-stream") {
      rule.proto = RuleProto::kTcp;
      rule.flow.no_stream = proto == "tcp-pkt";
      rule.flow.only_stream = proto == "tcp-stream";
    } else if (proto == "udp" || proto == "udp-pkt") {
      rule.proto = RuleProto::kUdp;
    } else if (proto == "icmp" || proto == "icmpv4" || proto == "icmpv6") {
      rule.proto = RuleProto::kIcmp;
      if (proto != "icmp") require_ip_version(rule, proto.back() == '4' ? 4 : 6);
    } else if (is_app_layer_protocol(proto)) {
      // Detected protocols run on TCP (DNS on UDP too: the compiler gives the rule both).
      if (auto f = header_app_proto(proto, rule.app_proto)) {
        deferred = std::move(f);
      } else {
        rule.proto = rule.app_proto == AppProto::kDns ? RuleProto::kIp : RuleProto::kTcp;
      }
    } else if (proto == "sctp") {
      deferred = not_supported("protocol 'sctp' not supported yet");
    } else {
      return invalid("protocol", quoted(h[1]));
    }
    if (h.size() != 7) {
      return failure("syntax error",
                     "expected 'action protocol address port direction address port' "
                     "before '(', found " +
                         std::to_string(h.size()) + " fields");
    }
    if (h[4] == "<>") {
      rule.bidirectional = true;
    } else if (h[4] != "->") {
      return invalid("direction", quoted(h[4]) + " (expected -> or <>)");
    }
    if (auto f = resolve_group<AddressSet, AddressTraits>(h[2], vars_.address_groups,
                                                          address_cache_, rule.src_addr))
      return f;
    if (auto f =
            resolve_group<PortSet, PortTraits>(h[3], vars_.port_groups, port_cache_, rule.src_port))
      return f;
    if (auto f = resolve_group<AddressSet, AddressTraits>(h[5], vars_.address_groups,
                                                          address_cache_, rule.dst_addr))
      return f;
    if (auto f =
            resolve_group<PortSet, PortTraits>(h[6], vars_.port_groups, port_cache_, rule.dst_port))
      return f;
    rule.src_addr_is_list = names_explicit_list(h[2]);
    rule.dst_addr_is_list = names_explicit_list(h[5]);

    OptionBuilder builder(rule);
    for (const Option& o : options) {
      if (auto f = builder.apply(o)) {
        if (!f->not_supported) return f;
        if (!deferred) deferred = std::move(f);
      }
    }
    if (auto f = builder.finish()) return f;
    return deferred;
  };
  MaybeFailure fail = run();
  if (fail) {
    if (detail != nullptr) {
      detail->reason = fail->reason;
      detail->not_supported = fail->not_supported;
    }
    std::string message = sid ? "sid " + std::to_string(*sid) + ": " : std::string();
    message += fail->message + "; rule skipped";
    return make_error(std::move(message), location_of(file, line));
  }
  rule.file = std::string(file);
  rule.line = line;
  return rule;
}

Result<std::shared_ptr<const AddressSet>> RuleParser::parse_address(std::string_view text) {
  std::shared_ptr<const AddressSet> out;
  if (auto f = resolve_group<AddressSet, AddressTraits>(trim(text), vars_.address_groups,
                                                        address_cache_, out)) {
    return make_error(f->message);
  }
  return out;
}

RuleFileResult RuleParser::parse_file(const std::string& path) {
  RuleFileResult result;
  std::string data;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      std::string message = path + ": cannot open: " + std::strerror(errno);
      result.errors.push_back({path, 0, std::move(message), "cannot open"});
      return result;
    }
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    bool failed = std::ferror(f) != 0;
    int err = errno;
    std::fclose(f);
    if (failed) {
      std::string message = path + ": cannot read: " + std::strerror(err);
      result.errors.push_back({path, 0, std::move(message), "cannot open"});
      return result;
    }
  }

  // (gid, sid) -> index into result.rules
  std::unordered_map<std::uint64_t, std::size_t> seen;
  auto handle = [&](std::string_view text, int line) {
    RuleError error{path, line, {}, {}};
    Result<Rule> r = parse_rule(text, path, line, &error);
    if (!r.ok()) {
      error.message = r.error().describe();
      result.errors.push_back(std::move(error));
      return;
    }
    std::uint64_t key = (std::uint64_t{r->gid} << 32) | r->sid;
    auto [it, inserted] = seen.emplace(key, result.rules.size());
    if (!inserted) {
      Rule& first = result.rules[it->second];
      result.errors.push_back(duplicate_sid_error(first, *r));
      if (duplicate_replaces(first, *r)) first = std::move(r).value();
      return;
    }
    result.rules.push_back(std::move(r).value());
  };

  for_each_logical_line(data, "", handle);
  return result;
}

RuleError duplicate_sid_error(const Rule& first, const Rule& later) {
  const bool replaces = duplicate_replaces(first, later);
  const Rule& dropped = replaces ? first : later;
  const Rule& kept = replaces ? later : first;
  std::string why = first.rev == later.rev
                        ? "first at " + location_of(kept.file, kept.line)
                        : "rev " + std::to_string(dropped.rev) + "; rev " + std::to_string(kept.rev) +
                              " at " + location_of(kept.file, kept.line) + " is kept";
  return {dropped.file, dropped.line,
          location_of(dropped.file, dropped.line) + ": sid " + std::to_string(dropped.sid) +
              ": duplicate sid (" + why + "); rule skipped",
          "duplicate sid"};
}

}  // namespace wp::detect
