// Malformed captures through the real sensor. The corpus is generated here, by code, from a
// valid capture: files cut at every header boundary and inside packets; pcap and pcapng header,
// record and block mutations (bad magic, versions, snaplen 0 or huge, caplen beyond snaplen,
// wirelen or any buffer, zero-length packets, odd and unknown link types, bad block lengths);
// packets snapped at every byte of their headers on each supported link type. Whatever the
// file, the sensor ends with exit status 0 (read, a cut reported with its offset) or 1 (the file
// cannot be read, named on stderr), never with a signal, a sanitizer report or a hang.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/packet_builder.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";
// Generous: the sanitizer build on a busy CI machine. A hang is what it catches.
constexpr std::chrono::seconds kTimeout{60};

using testing::Frame;
using testing::ip;

// ---------------------------------------------------------------------------------------
// Building capture files

// Appends integers in the file's byte order.
struct Writer {
  std::string b;
  bool big = false;

  Writer& u8(std::uint8_t v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& u16(std::uint16_t v) { return big ? u8(v >> 8).u8(v & 0xff) : u8(v & 0xff).u8(v >> 8); }
  Writer& u32(std::uint32_t v) {
    return big ? u16(v >> 16).u16(v & 0xffff) : u16(v & 0xffff).u16(v >> 16);
  }
  Writer& bytes(const std::string& s) {
    b += s;
    return *this;
  }
  Writer& bytes(const Frame& f) {
    b.append(f.begin(), f.end());
    return *this;
  }
  Writer& pad4() {
    while (b.size() % 4 != 0) u8(0);
    return *this;
  }
};

struct PcapHeader {
  std::uint32_t magic = 0xa1b2c3d4;  // microseconds; 0xa1b23c4d: nanoseconds
  std::uint16_t major = 2;
  std::uint16_t minor = 4;
  std::uint32_t snaplen = 262144;
  std::uint32_t linktype = 1;
  bool big = false;
};

struct Record {
  Frame data;  // the bytes present in the file
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
  std::uint32_t sec = 1751339045;
  std::uint32_t usec = 0;
};

Record whole(const Frame& f, std::uint32_t usec = 0) {
  const auto n = static_cast<std::uint32_t>(f.size());
  return Record{f, n, n, 1751339045, usec};
}

std::string pcap_file(const std::vector<Record>& records, const PcapHeader& h = {}) {
  Writer w;
  w.big = h.big;
  w.u32(h.magic).u16(h.major).u16(h.minor).u32(0).u32(0).u32(h.snaplen).u32(h.linktype);
  for (const Record& r : records)
    w.u32(r.sec).u32(r.usec).u32(r.caplen).u32(r.wirelen).bytes(r.data);
  return w.b;
}

// Offset of each record in pcap_file(records).
std::vector<std::size_t> record_offsets(const std::vector<Record>& records) {
  std::vector<std::size_t> out;
  std::size_t at = 24;
  for (const Record& r : records) {
    out.push_back(at);
    at += 16 + r.data.size();
  }
  return out;
}

// pcapng (draft-ietf-opsawg-pcapng): blocks of type, total length, body padded to 4, total
// length again.
std::string ng_block(std::uint32_t type, const std::string& body, bool big = false) {
  Writer b;
  b.big = big;
  b.bytes(body).pad4();
  Writer w;
  w.big = big;
  const auto total = static_cast<std::uint32_t>(12 + b.b.size());
  w.u32(type).u32(total).bytes(b.b).u32(total);
  return w.b;
}

std::string ng_shb(bool big = false, std::uint16_t major = 1, std::uint32_t bom = 0x1a2b3c4d) {
  Writer w;
  w.big = big;
  w.u32(bom).u16(major).u16(0).u32(0xffffffff).u32(0xffffffff);  // section length: unknown
  return ng_block(0x0a0d0d0a, w.b, big);
}

std::string ng_idb(std::uint16_t linktype = 1, std::uint32_t snaplen = 262144,
                   const std::string& options = {}) {
  Writer w;
  w.u16(linktype).u16(0).u32(snaplen).bytes(options);
  return ng_block(1, w.b);
}

std::string ng_epb(const Frame& f, std::uint32_t iface = 0, std::uint32_t caplen = 0xffffffff,
                   std::uint32_t origlen = 0xffffffff) {
  const auto n = static_cast<std::uint32_t>(f.size());
  Writer w;
  w.u32(iface).u32(0x00060a2b).u32(0x1c4d5e00);
  w.u32(caplen == 0xffffffff ? n : caplen).u32(origlen == 0xffffffff ? n : origlen).bytes(f);
  return ng_block(6, w.b);
}

// ---------------------------------------------------------------------------------------
// The valid capture the corpus is made from

std::vector<Frame> base_frames() {
  const IpAddress client = ip("203.0.113.5"), server = ip("10.0.0.2");
  std::vector<Frame> f;
  f.push_back(
      testing::tcp_packet(client, server, {40000, 80, 100, 0, 0x02, 64240, {2, 4, 5, 180}}, ""));
  f.push_back(testing::tcp_packet(server, client, {80, 40000, 500, 101, 0x12}, ""));
  f.push_back(testing::tcp_packet(client, server, {40000, 80, 101, 501, 0x10}, ""));
  f.push_back(testing::tcp_packet(client, server, {40000, 80, 101, 501, 0x18},
                                  "GET /evil?q=aaaaaaaaaaaaaaaaaaaaaaaaaaaa! HTTP/1.1\r\n\r\n"));
  f.push_back(testing::udp_packet(client, server, 5353, 53, "\x12\x34\x01\x00\x00\x01evil"));
  f.push_back(testing::icmp_packet(client, server, 8, 0, 7, 1, "ping evil"));
  testing::L4Options vlan;
  vlan.vlans = {100};
  f.push_back(testing::udp_packet(client, server, 1000, 2000, "in a vlan", vlan));
  testing::L4Options qinq;
  qinq.vlans = {100, 200};
  f.push_back(testing::udp_packet(client, server, 1000, 2000, "in two vlans", qinq));
  testing::L4Options opts;
  opts.ipv4_options = {7, 7, 4, 0, 0, 0, 0};  // record route
  f.push_back(testing::tcp_packet(client, server, {40001, 80, 1, 0, 0x02}, "", opts));
  f.push_back(testing::tcp_packet(ip("2001:db8::5"), ip("2001:db8::2"), {40002, 80, 1, 0, 0x18},
                                  "evil over ipv6"));
  f.push_back(testing::icmp_packet(ip("2001:db8::5"), ip("2001:db8::2"), 128, 0, 9, 2, "v6 ping"));
  for (const Frame& frag :
       testing::fragment(testing::udp_packet(client, server, 7, 7, std::string(64, 'f')), 16)) {
    f.push_back(frag);
  }
  return f;
}

std::vector<Record> base_records() {
  std::vector<Record> out;
  std::uint32_t usec = 0;
  for (const Frame& f : base_frames()) out.push_back(whole(f, usec += 1000));
  return out;
}

std::uint16_t ethertype_of(const Frame& f) {
  return static_cast<std::uint16_t>(f[12] << 8 | f[13]);
}

// The frame on another link layer; empty when that link cannot carry it (a VLAN tag without
// Ethernet or the cooked headers).
Frame relink(const Frame& eth, std::uint32_t linktype) {
  const std::uint16_t type = ethertype_of(eth);
  const Frame l3(eth.begin() + 14, eth.end());
  const bool is_ip = type == 0x0800 || type == 0x86dd;
  Frame out;
  auto be16 = [&](std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  };
  switch (linktype) {
    case 1:
      return eth;
    case 101:  // raw IP
      return is_ip ? l3 : Frame{};
    case 228:  // IPv4 only
      return type == 0x0800 ? l3 : Frame{};
    case 229:  // IPv6 only
      return type == 0x86dd ? l3 : Frame{};
    case 0:      // BSD loopback, host byte order
    case 108: {  // OpenBSD loopback, network byte order
      if (!is_ip) return {};
      const std::uint32_t family = type == 0x0800 ? 2 : 24;
      for (int i = 0; i < 4; ++i) {
        const int shift = linktype == 108 ? 24 - 8 * i : 8 * i;
        out.push_back(static_cast<std::uint8_t>(family >> shift));
      }
      break;
    }
    case 113:  // Linux cooked v1
      be16(0);
      be16(1);
      be16(6);
      out.insert(out.end(), eth.begin() + 6, eth.begin() + 12);
      be16(0);
      be16(type);
      break;
    case 276:  // Linux cooked v2
      be16(type);
      be16(0);
      be16(0);
      be16(1);
      be16(1);
      out.push_back(0);
      out.push_back(6);
      out.insert(out.end(), eth.begin() + 6, eth.begin() + 12);
      be16(0);
      break;
    default:
      return eth;  // an unknown link type: the bytes are whatever they are
  }
  out.insert(out.end(), l3.begin(), l3.end());
  return out;
}

// ---------------------------------------------------------------------------------------
// Running the sensor

enum class Expect : std::uint8_t {
  kRead,        // exit 0, nothing reported as truncated
  kTruncated,   // exit 0, "FILE: truncated at byte N" (N = `at`, when given)
  kUnreadable,  // exit 1, the file named
  kEither,      // exit 0 or 1, as above
};

struct Case {
  std::string name;
  std::string bytes;
  Expect expect = Expect::kEither;
  long at = -1;
};

class Sensor {
 public:
  Sensor() {
    std::ofstream(rules_)
        << "alert tcp any any -> any any (msg:\"c\"; flow:established,to_server; content:\"evil\"; "
           "sid:1;)\n"
           "alert tcp any any -> any any (msg:\"p\"; content:\"GET\"; pcre:\"/q=(a+)+b/\"; "
           "sid:2;)\n"
           "alert udp any any -> any any (msg:\"u\"; content:\"evil\"; sid:3;)\n"
           "alert icmp any any -> any any (msg:\"i\"; itype:8; sid:4;)\n"
           "alert ip 203.0.113.5 any -> any any (msg:\"a\"; sid:5;)\n"
           "alert ip any any -> any any (msg:\"f\"; fragbits:M; sid:6;)\n";
  }

  void check(const Case& c) {
    SCOPED_TRACE(c.name);
    const std::string path = dir_.file(c.name);
    std::ofstream(path, std::ios::binary) << c.bytes;
    // Small tables: each run preallocates them, and there are many runs.
    const auto r = testing::run_program({kSensor,
                                         "-r",
                                         path,
                                         "--rules",
                                         rules_,
                                         "-l",
                                         dir_.path().string(),
                                         "--set",
                                         "detect.sgh-mpm-caching=no",
                                         "--set",
                                         "flow.memcap=1mb",
                                         "--set",
                                         "flow.hash-size=1024",
                                         "--set",
                                         "stream.memcap=1mb",
                                         "--set",
                                         "stream.reassembly.memcap=1mb",
                                         "--set",
                                         "defrag.memcap=1mb",
                                         "--set",
                                         "defrag.trackers=64"},
                                        dir_.path().string(), kTimeout);
    ASSERT_FALSE(r.timed_out) << "hung (killed after " << kTimeout.count() << " s)";
    ASSERT_EQ(r.signal, 0) << "killed by signal " << r.signal << " (" << strsignal(r.signal)
                           << ")\n"
                           << r.err;
    EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("runtime error:"), std::string::npos) << r.err;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "exit " << r.exit_code << "\n" << r.err;
    if (r.exit_code == 0) {
      EXPECT_NE(r.err.find("watchpost: "), std::string::npos) << "no summary line\n" << r.err;
    } else {
      EXPECT_NE(r.err.find(path), std::string::npos) << "the file is not named\n" << r.err;
    }
    const bool truncated = r.err.find(path + ": truncated at byte ") != std::string::npos;
    switch (c.expect) {
      case Expect::kRead:
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_FALSE(truncated) << r.err;
        break;
      case Expect::kTruncated:
        EXPECT_EQ(r.exit_code, 0) << r.err;
        if (c.at >= 0) {
          EXPECT_NE(r.err.find(path + ": truncated at byte " + std::to_string(c.at) + " "),
                    std::string::npos)
              << r.err;
        } else {
          EXPECT_TRUE(truncated) << r.err;
        }
        break;
      case Expect::kUnreadable:
        EXPECT_EQ(r.exit_code, 1) << r.err;
        break;
      case Expect::kEither:
        break;
    }
    std::remove(path.c_str());
  }

 private:
  testing::TempDir dir_;
  std::string rules_ = dir_.file("local.rules");
};

void check_all(const std::vector<Case>& cases) {
  Sensor sensor;
  for (const Case& c : cases) sensor.check(c);
}

std::string cut(const std::string& s, std::size_t n) { return s.substr(0, n); }

// ---------------------------------------------------------------------------------------
// pcap

TEST(MalformedCapture, TheValidCapturesTheCorpusIsMadeFromAreReadWhole) {
  const std::vector<Record> recs = base_records();
  PcapHeader be;
  be.big = true;
  PcapHeader nano;
  nano.magic = 0xa1b23c4d;
  PcapHeader nano_be = nano;
  nano_be.big = true;
  std::string ng = ng_shb() + ng_idb();
  for (const Frame& f : base_frames()) ng += ng_epb(f);
  check_all({{"base.pcap", pcap_file(recs), Expect::kRead},
             {"big-endian.pcap", pcap_file(recs, be), Expect::kRead},
             {"nanoseconds.pcap", pcap_file(recs, nano), Expect::kRead},
             {"nanoseconds-big-endian.pcap", pcap_file(recs, nano_be), Expect::kRead},
             {"base.pcapng", ng, Expect::kRead}});
}

TEST(MalformedCapture, AFileHeaderCutAtAnyByteCannotBeRead) {
  const std::string file = pcap_file(base_records());
  std::vector<Case> cases;
  for (std::size_t n = 0; n < 24; ++n) {
    cases.push_back(
        {"header-cut-" + std::to_string(n) + ".pcap", cut(file, n), Expect::kUnreadable});
  }
  check_all(cases);
}

TEST(MalformedCapture, ARecordCutInItsHeaderOrDataIsReportedWithTheOffsetOfTheRecord) {
  const std::vector<Record> recs = base_records();
  const std::string file = pcap_file(recs);
  const std::vector<std::size_t> at = record_offsets(recs);
  std::vector<Case> cases;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const std::string id = "record-" + std::to_string(i) + "-cut-";
    // At the record's start: a shorter capture, not a damaged one.
    cases.push_back({id + "0.pcap", cut(file, at[i]), Expect::kRead});
    const std::size_t len = recs[i].data.size();
    for (std::size_t k : {std::size_t{1}, std::size_t{8}, std::size_t{15}, std::size_t{16},
                          16 + len / 2, 16 + len - 1}) {
      cases.push_back({id + std::to_string(k) + ".pcap", cut(file, at[i] + k), Expect::kTruncated,
                       static_cast<long>(at[i])});
    }
  }
  check_all(cases);
}

TEST(MalformedCapture, FileHeaderMutationsAreReadOrRejected) {
  const std::vector<Record> recs = base_records();
  std::vector<Case> cases;
  auto with = [&](const std::string& name, auto change, Expect expect = Expect::kEither) {
    PcapHeader h;
    change(h);
    cases.push_back({name + ".pcap", pcap_file(recs, h), expect});
  };
  for (std::uint32_t magic : {0u, 0xdeadbeefu, 0xa1b2c3d5u, 0x0a0d0d0au, 0xffffffffu}) {
    with(
        "magic-" + std::to_string(magic), [&](PcapHeader& h) { h.magic = magic; },
        Expect::kUnreadable);
  }
  const std::vector<std::pair<int, int>> versions = {{0, 0}, {1, 0}, {2, 0},
                                                     {2, 5}, {3, 4}, {0xffff, 0xffff}};
  for (const auto& version : versions) {
    const int major = version.first, minor = version.second;  // clang 14: no captured bindings
    with("version-" + std::to_string(major) + "." + std::to_string(minor), [&](PcapHeader& h) {
      h.major = static_cast<std::uint16_t>(major);
      h.minor = static_cast<std::uint16_t>(minor);
    });
  }
  for (std::uint32_t snaplen : {0u, 1u, 14u, 64u, 65535u, 262145u, 0x7fffffffu, 0xffffffffu}) {
    with("snaplen-" + std::to_string(snaplen), [&](PcapHeader& h) { h.snaplen = snaplen; });
  }
  // Known link types the sensor decodes with Ethernet frames in them (garbage to them), others
  // it does not, and values no registry knows (the FCS bits of the pcap header included).
  for (std::uint32_t lt : {0u, 9u, 12u, 14u, 101u, 105u, 108u, 113u, 127u, 147u, 228u, 229u, 276u,
                           0xffffu, 0x10000001u, 0x14000001u, 0xffffffffu}) {
    with("linktype-" + std::to_string(lt), [&](PcapHeader& h) { h.linktype = lt; });
  }
  check_all(cases);
}

TEST(MalformedCapture, RecordHeaderMutationsAreReadOrReported) {
  const std::vector<Record> base = base_records();
  const Frame& data = base[3].data;  // the TCP segment with payload
  const auto n = static_cast<std::uint32_t>(data.size());
  std::vector<Case> cases;
  // The mutated record goes before the TCP segment, between valid ones.
  auto one = [&](const std::string& name, const Record& r, const PcapHeader& h = {}) {
    std::vector<Record> recs(base.begin(), base.begin() + 3);
    recs.push_back(r);
    recs.insert(recs.end(), base.begin() + 3, base.end());
    cases.push_back({name + ".pcap", pcap_file(recs, h)});
  };
  PcapHeader snap100;
  snap100.snaplen = 100;
  one("caplen-beyond-snaplen", {data, n, n}, snap100);
  one("caplen-beyond-wirelen", {data, n, n / 2});
  one("wirelen-zero", {data, n, 0});
  one("zero-length", {{}, 0, 0});
  one("zero-caplen", {{}, 0, n});
  one("one-byte", {Frame(data.begin(), data.begin() + 1), 1, n});
  for (std::uint32_t huge : {262145u, 10000000u, 0x7fffffffu, 0xffffffffu}) {
    one("caplen-" + std::to_string(huge), {data, huge, huge});
  }
  one("usec-beyond-a-second", {data, n, n, 1751339045, 2000000});
  one("time-zero", {data, n, n, 0, 0});
  one("time-max", {data, n, n, 0xffffffff, 999999});
  one("time-backwards", {data, n, n, 1000, 0});
  check_all(cases);
}

// Each frame snapped at every byte (every header boundary included): the record says the
// packet was longer (caplen < wirelen), and again with both lengths cut (a datagram whose IP
// length field claims more than there is), on each link type the decoder knows.
TEST(MalformedCapture, PacketsSnappedAtEveryByteAreDecodedOnEveryLinkType) {
  std::vector<Case> cases;
  for (std::uint32_t lt : {1u, 101u, 228u, 229u, 0u, 108u, 113u, 276u}) {
    std::vector<Record> recs;
    for (const Frame& eth : base_frames()) {
      const Frame f = relink(eth, lt);
      if (f.empty()) continue;
      const auto len = static_cast<std::uint32_t>(f.size());
      for (std::uint32_t k = 0; k <= len; ++k) {
        const Frame part(f.begin(), f.begin() + k);
        recs.push_back({part, k, len});
        recs.push_back({part, k, k});
      }
    }
    PcapHeader h;
    h.linktype = lt;
    cases.push_back(
        {"snapped-linktype-" + std::to_string(lt) + ".pcap", pcap_file(recs, h), Expect::kRead});
  }
  check_all(cases);
}

// ---------------------------------------------------------------------------------------
// pcapng

TEST(MalformedCapture, PcapngCutAtEveryBlockBoundaryAndInsideBlocksIsReadOrReported) {
  std::vector<std::string> blocks = {ng_shb(), ng_idb()};
  for (const Frame& f : base_frames()) blocks.push_back(ng_epb(f));
  std::string file;
  std::vector<Case> cases;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string id = "block-" + std::to_string(i) + "-cut-";
    // Without a complete section header and interface description there is no capture
    // (libpcap reads both when it opens the file); a packet block cut short is reported
    // with the offset where it starts.
    const bool header = i <= 1;
    cases.push_back({id + "0.pcapng", file, header ? Expect::kUnreadable : Expect::kRead});
    for (std::size_t k :
         {std::size_t{4}, std::size_t{8}, blocks[i].size() / 2, blocks[i].size() - 4}) {
      cases.push_back({id + std::to_string(k) + ".pcapng", file + cut(blocks[i], k),
                       header ? Expect::kUnreadable : Expect::kTruncated,
                       static_cast<long>(file.size())});
    }
    file += blocks[i];
  }
  check_all(cases);
}

TEST(MalformedCapture, PcapngBlockMutationsAreReadOrRejected) {
  const std::vector<Frame> frames = base_frames();
  const Frame& data = frames[3];
  std::string packets;
  for (const Frame& f : frames) packets += ng_epb(f);
  const std::string shb = ng_shb(), idb = ng_idb();
  // A block whose two length fields say `len` (the body as built).
  auto with_length = [](std::string block, std::uint32_t len, bool both = true) {
    std::memcpy(block.data() + 4, &len, 4);  // little-endian host, as the builder
    if (both) std::memcpy(block.data() + block.size() - 4, &len, 4);
    return block;
  };
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const std::string& bytes) {
    cases.push_back({name + ".pcapng", bytes});
  };
  for (std::uint32_t len : {0u, 4u, 12u, 24u, 27u, 30u, 0x10000u, 0x7ffffff0u, 0xfffffffcu}) {
    add("shb-length-" + std::to_string(len), with_length(shb, len) + idb + packets);
    add("idb-length-" + std::to_string(len), shb + with_length(idb, len) + packets);
    add("epb-length-" + std::to_string(len), shb + idb + with_length(ng_epb(data), len) + packets);
  }
  add("shb-trailer-mismatch", with_length(shb, 32, false) + idb + packets);
  add("epb-trailer-mismatch",
      shb + idb +
          with_length(ng_epb(data), static_cast<std::uint32_t>(ng_epb(data).size() + 4), false) +
          packets);
  add("bad-byte-order-magic", ng_shb(false, 1, 0x11223344) + idb + packets);
  add("version-2", ng_shb(false, 2) + idb + packets);
  add("big-endian-section", ng_shb(true) + idb + packets);  // the blocks after it are not
  add("no-interface", shb + packets);
  add("idb-unknown-linktype", shb + ng_idb(0xffff) + packets);
  add("idb-snaplen-zero", shb + ng_idb(1, 0) + packets);
  add("idb-snaplen-huge", shb + ng_idb(1, 0xffffffff) + packets);
  {
    Writer o;  // if_tsresol (9) = 2^-127, then an option running past the block
    o.u16(9).u16(1).u8(0xff).pad4().u16(2).u16(0x4000).u32(0);
    add("idb-bad-options", shb + ng_idb(1, 262144, o.b) + packets);
  }
  add("epb-unknown-interface", shb + idb + ng_epb(data, 7) + packets);
  add("epb-caplen-beyond-block", shb + idb + ng_epb(data, 0, 4000) + packets);
  add("epb-caplen-huge", shb + idb + ng_epb(data, 0, 0xfffffff0) + packets);
  add("epb-origlen-below-caplen", shb + idb + ng_epb(data, 0, 0xffffffff, 10) + packets);
  add("epb-zero-length", shb + idb + ng_epb({}) + packets);
  {
    Writer spb;  // simple packet block: original length, data
    spb.u32(static_cast<std::uint32_t>(data.size())).bytes(data);
    add("simple-packet-block", shb + idb + ng_block(3, spb.b) + packets);
    add("simple-packet-block-no-interface", shb + ng_block(3, spb.b) + packets);
  }
  add("unknown-block", shb + idb + ng_block(0x0badbeef, "whatever") + packets);
  add("second-section", shb + idb + packets + ng_shb() + ng_idb(101) + packets);
  check_all(cases);
}

}  // namespace
}  // namespace wp
