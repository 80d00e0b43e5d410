// Application messages for the traffic generator's scenarios: HTTP/1.1 requests with the
// headers a real client sends and responses with a correct Content-Length; SSH binary packets.
#pragma once

#include <string>
#include <string_view>

#include "generator.h"

namespace wp::trafficgen {

inline constexpr std::string_view kFirefoxAgent =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0";
inline constexpr std::string_view kChromeAndroidAgent =
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile Safari/537.36";

// "GET /path HTTP/1.1" with Host, User-Agent, Accept and `extra_headers` (each line ending in
// "\r\n"), then `body` with a Content-Length when it is not empty.
std::string http_request(std::string_view method, std::string_view path, std::string_view host,
                         std::string_view user_agent, std::string_view extra_headers = {},
                         std::string_view body = {});

// "HTTP/1.1 200 OK" with Date, Server, Content-Type and Content-Length, then `body`.
std::string http_response(int status, std::string_view reason, std::string_view content_type,
                          std::string_view body);

// A small HTML page whose <title> and paragraph are `title` and `text`.
std::string html_page(std::string_view title, std::string_view text);

// An SSH_MSG_KEXINIT in an unencrypted SSH binary packet (RFC 4253 sections 6 and 7.1) with a
// random cookie and OpenSSH-like algorithm lists.
std::string ssh_kexinit(Rng& rng);

// An SSH connection from `client` to `server`:22 that exchanges banners (the server's an
// OpenSSH one, the client's `client_banner`) and KEXINIT offers, then closes: scanners and
// ordinary clients alike stop there in the generated captures.
void ssh_exchange(Generator& gen, const IpAddress& client, const IpAddress& server,
                  std::string_view client_banner);

}  // namespace wp::trafficgen
