// TLS handshakes as the application layer reads them: the records of both directions of a
// session (split over stream chunks or several in one chunk), the handshake messages in them
// (which may span records), and from those the ClientHello (SNI, JA3), the ServerHello (JA3S,
// the negotiated version) and, where they travel in clear (TLS 1.2 and earlier), the server's
// certificates (subject, issuer, serial, SHA-1 fingerprint, validity). Once a direction's
// handshake is encrypted (ChangeCipherSpec, or TLS 1.3 after the ServerHello) its records are
// only counted.
//
// Bounds: one partial record header and at most kMaxHandshake bytes of pending handshake
// message per direction; at most kMaxCertificates certificates kept. Anomalies are flags
// named as Suricata's tls events. Certificates are walked here and their names, serial and
// times decoded by OpenSSL (once per session; not the public key); the record path does not
// allocate once the session's buffers have grown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_reader.h"

namespace wp::applayer {

// Largest handshake message reassembled (a certificate chain fits; more is an anomaly).
inline constexpr std::size_t kMaxHandshake = 64 * 1024;
inline constexpr std::size_t kMaxCertificates = 10;

enum TlsEvent : std::uint32_t {
  kTlsInvalidRecordType = 1u << 0,        // a content type other than 20..24
  kTlsInvalidRecordVersion = 1u << 1,     // a record version other than 3.x
  kTlsInvalidRecordLength = 1u << 2,      // a record longer than 2^14 + 2048
  kTlsInvalidHandshakeMessage = 1u << 3,  // a handshake message that does not parse
  kTlsInvalidSniType = 1u << 4,           // a server_name entry that is not a host name
  kTlsInvalidSniLength = 1u << 5,
  kTlsMultipleSniExtensions = 1u << 6,
  kTlsInvalidCertificate = 1u << 7,  // a certificate whose structure or fields do not parse
  kTlsHandshakeTooLong = 1u << 8,    // over kMaxHandshake: no longer parsed
};
inline constexpr int kTlsEventCount = 9;
// "invalid_record_type", ... for the flag with bit `bit`.
std::string_view tls_event_name(int bit);

struct TlsCertificate {
  std::vector<std::uint8_t> der;  // the certificate as sent (the tls.certs buffer)
  std::string subject;  // "C=US, O=Example, CN=www.example.com" (RDNs in certificate order)
  std::string issuer;
  std::string serial;           // "0A:1B:..." (hex bytes, upper case, as Suricata)
  std::string fingerprint;      // SHA-1 of the DER: "aa:bb:..." (lower case, as Suricata)
  std::int64_t not_before = 0;  // seconds since the Unix epoch (UTC)
  std::int64_t not_after = 0;
};

// What one TLS session has shown so far.
struct TlsInfo {
  bool client_hello = false;         // seen (the fields below are set)
  std::uint16_t client_version = 0;  // ClientHello.legacy_version
  std::string sni;                   // server_name (host_name), as sent
  std::string ja3;                   // "771,4865-4866,0-23-65281,29-23,0" (GREASE removed)
  std::string ja3_hash;              // MD5 of ja3, lower-case hex

  bool server_hello = false;
  std::uint16_t version = 0;  // negotiated: supported_versions when present, else legacy
  std::uint16_t cipher = 0;
  std::string ja3s;  // "771,4865,43-51"
  std::string ja3s_hash;

  std::vector<TlsCertificate> certificates;  // the server's, leaf first
  std::uint32_t events = 0;                  // TlsEvent flags
};

// "SSLv3", "TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.3", as Suricata names versions in EVE; ""
// for an unknown number.
std::string_view tls_version_name(std::uint16_t version);

class TlsSession {
 public:
  // Feeds in-order stream bytes of one direction. Returns true when the handshake gave new
  // information (a hello or certificates were parsed by this call).
  bool feed(bool to_server, Bytes data);
  // A gap in one direction: its partial record and handshake are dropped, and it is not
  // parsed any further (records can no longer be delimited).
  void gap(bool to_server);

  const TlsInfo& info() const { return info_; }

 private:
  struct Direction {
    std::uint8_t header[5] = {};
    std::size_t header_have = 0;
    std::uint8_t type = 0;
    std::size_t record_left = 0;          // body bytes of the current record still to come
    std::vector<std::uint8_t> handshake;  // pending handshake bytes (messages may span records)
    bool encrypted = false;               // no more clear handshake in this direction
    bool lost = false;                    // a gap or an unparsable record: stop
  };

  bool on_handshake_bytes(bool to_server, Direction& d, Bytes body);
  bool on_message(bool to_server, std::uint8_t type, Bytes body);
  void client_hello(Bytes body);
  void server_hello(Bytes body);
  void certificates(Bytes body);

  Direction dirs_[2];  // [0] to client, [1] to server
  TlsInfo info_;
};

// The MD5 of `text` in lower-case hex (JA3, JA3S; SSH's HASSH reuses it).
std::string md5_hex(std::string_view text);

}  // namespace wp::applayer
