// libFuzzer target: the SSH banner and KEXINIT parser (sensor/applayer/ssh.h) on a session's
// two directions. Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it,
// cycling, says whether piece i goes to the server); the rest is cut into pieces fed to one
// SshSession. Looks for crashes, hangs and sanitizer reports; the kept strings must stay
// within their bounds. Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a banner with a KEXINIT.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/ssh.h"
#include "pieces.h"

namespace {

std::string be32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
  return out;
}

void write_seeds(const std::string& dir) {
  std::string payload(1, 20);
  payload += std::string(16, 'C');
  for (const char* l : {"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256",
                        "hmac-sha2-256", "none", "none", "", ""}) {
    payload += be32(static_cast<std::uint32_t>(std::string(l).size())) + l;
  }
  payload += std::string(5, '\0');
  const std::string packet = be32(static_cast<std::uint32_t>(payload.size() + 5)) + "\x04" + payload + std::string(4, '\0');
  const std::string newkeys = be32(6) + std::string("\x04\x15", 2) + std::string(4, '\0');
  std::ofstream(dir + "/client", std::ios::binary)
      << std::string("\xff\x01", 2) + "SSH-2.0-OpenSSH_9.6 c\r\n" + packet + newkeys;
  std::ofstream(dir + "/server", std::ios::binary)
      << std::string("\x07\x00", 2) + "hello\r\nSSH-1.99-x\r\n" + packet;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wp::applayer::SshSession s;
  wp::fuzz::feed_in_pieces(data, size, [&](bool to_server, wp::Bytes piece) {
    s.feed(to_server, piece, {});
  });
  for (const auto* side : {&s.client(), &s.server()}) {
    if (side->proto.size() > wp::applayer::kSshMaxBanner || side->software.size() > wp::applayer::kSshMaxBanner ||
        side->hassh_string.size() > wp::applayer::kSshMaxKexinit) {
      std::abort();
    }
  }
  return 0;
}
