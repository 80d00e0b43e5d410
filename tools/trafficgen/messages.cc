#include "messages.h"

namespace wp::trafficgen {

std::string http_request(std::string_view method, std::string_view path, std::string_view host,
                         std::string_view user_agent, std::string_view extra_headers,
                         std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(host).append("\r\n");
  if (!user_agent.empty()) out.append("User-Agent: ").append(user_agent).append("\r\n");
  out.append("Accept: */*\r\n");
  out.append(extra_headers);
  if (!body.empty())
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("\r\n");
  out.append(body);
  return out;
}

std::string http_response(int status, std::string_view reason, std::string_view content_type,
                          std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(reason).append("\r\n");
  out.append("Date: Tue, 01 Jul 2025 03:04:05 GMT\r\n");
  out.append("Server: nginx/1.22.1\r\n");
  out.append("Content-Type: ").append(content_type).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("Connection: keep-alive\r\n\r\n");
  out.append(body);
  return out;
}

std::string html_page(std::string_view title, std::string_view text) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"vi\">\n<head><meta charset=\"utf-8\"><title>";
  out.append(title).append("</title></head>\n<body>\n<h1>").append(title).append("</h1>\n<p>");
  out.append(text).append("</p>\n</body>\n</html>\n");
  return out;
}

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_name_list(std::string& out, std::string_view list) {
  put_u32(out, static_cast<std::uint32_t>(list.size()));
  out.append(list);
}

}  // namespace

std::string ssh_kexinit(Rng& rng) {
  std::string payload;
  payload.push_back(20);  // SSH_MSG_KEXINIT
  for (int i = 0; i < 16; ++i) payload.push_back(static_cast<char>(rng.next() & 0xff));
  put_name_list(payload, "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group14-sha256");
  put_name_list(payload, "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512");
  for (int dir = 0; dir < 2; ++dir)
    put_name_list(payload, "chacha20-poly1305@openssh.com,aes128-ctr");
  for (int dir = 0; dir < 2; ++dir) put_name_list(payload, "hmac-sha2-256,hmac-sha2-512");
  for (int dir = 0; dir < 2; ++dir) put_name_list(payload, "none");
  for (int dir = 0; dir < 2; ++dir) put_name_list(payload, "");
  payload.push_back(0);  // first_kex_packet_follows
  put_u32(payload, 0);   // reserved

  // RFC 4253 6: padding of at least 4 bytes so that length fields + payload + padding is a
  // multiple of 8.
  std::size_t padding = 8 - ((payload.size() + 5) % 8);
  if (padding < 4) padding += 8;
  std::string packet;
  put_u32(packet, static_cast<std::uint32_t>(payload.size() + padding + 1));
  packet.push_back(static_cast<char>(padding));
  packet.append(payload);
  packet.append(padding, '\0');
  return packet;
}

void ssh_exchange(Generator& gen, const IpAddress& client, const IpAddress& server,
                  std::string_view client_banner) {
  TcpSession s(gen, {client, gen.ephemeral_port()}, {server, 22});
  s.handshake();
  s.server_send("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
  s.client_send(client_banner);
  s.server_send(ssh_kexinit(gen.rng()));
  s.client_send(ssh_kexinit(gen.rng()));
  s.close();
}

}  // namespace wp::trafficgen
