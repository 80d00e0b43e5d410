#include "options.h"

#include <getopt.h>
#include <unistd.h>

#include <vector>

#include "common/ip_address.h"
#include "common/text.h"

namespace wp::collector {

const char* const kUsage =
    "usage: watchpost-collector --listen ADDR:PORT --db FILE.sqlite [--eve FILE.json]\n"
    "                           --ca CA.pem --cert collector.pem --key collector.key\n"
    "                           [--insecure-plaintext] [--sync normal|full]\n"
    "\n"
    "Receives alerts and stats from watchpost sensors over TLS (client certificates),\n"
    "stores each event once in an SQLite database and acknowledges it after the commit.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT    address to listen on (IPv6 as [ADDR]:PORT); port 0 picks a free\n"
    "                        port. The first line on standard output is 'listening on\n"
    "                        ADDR:PORT' with the bound port (the only standard output)\n"
    "  --db FILE.sqlite      the store (created when missing; WAL mode)\n"
    "  --eve FILE.json       also write every stored alert once as EVE JSON (host = sensor\n"
    "                        id, watchpost.site); SIGHUP reopens it (logrotate)\n"
    "  --ca CA.pem           CA that sensor client certificates must chain to\n"
    "  --cert collector.pem  the collector's certificate (chain)\n"
    "  --key collector.key   its private key\n"
    "                        A sensor's id is its certificate's subject CN; a batch naming\n"
    "                        another sensor id is refused.\n"
    "  --insecure-plaintext  plain TCP without TLS (tests, lab use only): no client is\n"
    "                        authenticated and the sensor id each batch claims is taken as\n"
    "                        is; --ca/--cert/--key are not needed\n"
    "  --sync normal|full    SQLite synchronous level: normal (default) survives a killed\n"
    "                        process, full also a power loss (an fsync per commit)\n"
    "  -h, --help            this help\n"
    "\n"
    "signals: SIGTERM/SIGINT stop accepting, commit and acknowledge what was received, exit 0;\n"
    "SIGHUP reopens the EVE file. Logs go to standard error.\n"
    "\n"
    "exit status: 0 after SIGTERM/SIGINT; 1 runtime error (cannot bind, cannot open the\n"
    "database or the EVE file); 2 bad usage or configuration (unknown option, bad address,\n"
    "unreadable certificate or key).\n";

Result<void> parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto bad = [&](const std::string& why) {
    return make_error("--listen " + text + ": " + why + " (expected ADDR:PORT or [ADDR]:PORT)");
  };
  std::string h, p;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("malformed address");
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return bad("no port");
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string::npos) return bad("an IPv6 address needs brackets");
  }
  if (!IpAddress::parse(h)) return bad("'" + h + "' is not an IP address");
  const auto n = parse_uint(p);
  if (p.empty() || !n || *n > 65535) {
    return bad("'" + p + "' is not a port number");
  }
  host = h;
  port = static_cast<std::uint16_t>(*n);
  return {};
}

Result<Options> parse_options(int argc, char** argv) {
  enum { kListen = 1000, kDb, kEve, kCa, kCert, kKey, kPlain, kSync };
  static const option kLong[] = {
      {"listen", required_argument, nullptr, kListen},
      {"db", required_argument, nullptr, kDb},
      {"eve", required_argument, nullptr, kEve},
      {"ca", required_argument, nullptr, kCa},
      {"cert", required_argument, nullptr, kCert},
      {"key", required_argument, nullptr, kKey},
      {"insecure-plaintext", no_argument, nullptr, kPlain},
      {"sync", required_argument, nullptr, kSync},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  std::string listen;
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":h", kLong, nullptr)) != -1) {
    switch (c) {
      case kListen:
        listen = optarg;
        break;
      case kDb:
        o.db = optarg;
        break;
      case kEve:
        o.eve = optarg;
        break;
      case kCa:
        o.ca = optarg;
        break;
      case kCert:
        o.cert = optarg;
        break;
      case kKey:
        o.key = optarg;
        break;
      case kPlain:
        o.plaintext = true;
        break;
      case kSync: {
        const std::string v = optarg;
        if (v != "normal" && v != "full") {
          return make_error("--sync " + v + ": expected normal or full");
        }
        o.sync_full = v == "full";
        break;
      }
      case 'h':
        o.help = true;
        return o;
      case ':':
        return make_error(std::string(argv[optind - 1]) + " needs a value");
      default:
        return make_error("unknown option " + std::string(argv[optind - 1]));
    }
  }
  if (optind < argc) return make_error("unexpected argument '" + std::string(argv[optind]) + "'");
  if (listen.empty()) return make_error("--listen ADDR:PORT is required");
  if (o.db.empty()) return make_error("--db FILE is required");
  if (auto r = parse_listen(listen, o.listen_host, o.listen_port); !r) return r.error();
  if (!o.plaintext) {
    for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--ca", o.ca},
                                     {"--cert", o.cert},
                                     {"--key", o.key}}) {
      if (path.empty()) {
        return make_error(std::string(flag) + " FILE is required (or --insecure-plaintext)");
      }
      if (::access(path.c_str(), R_OK) != 0) {
        return make_error(std::string(flag) + " " + path + ": cannot be read");
      }
    }
  }
  return o;
}

}  // namespace wp::collector
