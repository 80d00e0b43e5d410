// Application-layer protocols as the sensor names them: the value of a flow's `app_proto`
// (flow::Flow, one byte), of a rule header's protocol (`alert dns ...`) and of the
// `app-layer-protocol` keyword, and the name EVE shows. Static data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wp {

enum class AppProto : std::uint8_t {
  kUnknown = 0,  // not detected (yet): EVE shows no app_proto
  kHttp,
  kDns,
  kTls,
  kSmtp,
  kFtp,
  kSsh,
  kFtpData,  // a data connection an FTP control channel announced (applayer/expectation.h)
  kFailed,   // detection gave up on the flow (Suricata's "failed")
};
inline constexpr int kAppProtoCount = 9;

// "http", "dns", ... as EVE writes app_proto; "" for kUnknown.
constexpr std::string_view app_proto_name(AppProto p) {
  switch (p) {
    case AppProto::kUnknown: return "";
    case AppProto::kHttp: return "http";
    case AppProto::kDns: return "dns";
    case AppProto::kTls: return "tls";
    case AppProto::kSmtp: return "smtp";
    case AppProto::kFtp: return "ftp";
    case AppProto::kSsh: return "ssh";
    case AppProto::kFtpData: return "ftp-data";
    case AppProto::kFailed: return "failed";
  }
  return "";
}

// A protocol name as rules write it (header or app-layer-protocol), for the protocols the
// sensor detects: "http"/"http1", "dns", "tls"/"ssl", "smtp", "ftp", "ssh", "ftp-data",
// "failed".
constexpr std::optional<AppProto> parse_app_proto(std::string_view name) {
  if (name == "http" || name == "http1") return AppProto::kHttp;
  if (name == "dns") return AppProto::kDns;
  if (name == "tls" || name == "ssl") return AppProto::kTls;
  if (name == "smtp") return AppProto::kSmtp;
  if (name == "ftp") return AppProto::kFtp;
  if (name == "ssh") return AppProto::kSsh;
  if (name == "ftp-data") return AppProto::kFtpData;
  if (name == "failed") return AppProto::kFailed;
  return std::nullopt;
}

}  // namespace wp
