// The benign capture: traffic that resembles the demo's attacks without being one. Every
// session here is a false-positive trap for a bundled rule (named in the comment); the
// bundled rules must stay silent on all of it.
#include <string>

#include "hosts.h"
#include "messages.h"
#include "scenarios.h"

namespace wp::trafficgen {

namespace {

using namespace std::string_literals;
using testing::ip;

constexpr std::string_view kHost = "dichvucong.tinh.example";

std::string page(std::string_view title, std::string_view text) {
  return http_response(200, "OK", "text/html; charset=utf-8", html_page(title, text));
}

void web(Generator& gen) {
  // SQL words in ordinary search terms and article slugs (9000020, 9000021).
  http_exchange(
      gen, hosts::citizen1(), hosts::portal(),
      http_request("GET", "/tim-kiem?q=how+to+select+a+union+representative", kHost, kFirefoxAgent),
      page("Tim kiem", "3 ket qua."));
  http_exchange(gen, hosts::citizen2(), hosts::portal(),
                http_request("GET", "/tin-tuc/trade-union-selects-new-leadership.html", kHost,
                             kChromeAndroidAgent),
                page("Cong doan bau ban chap hanh moi",
                     "The provincial trade union will select its new leadership. Members "
                     "may union select committees by secret ballot."));
  http_exchange(gen, hosts::office(), hosts::portal(),
                http_request("GET", "/tim-kiem?q=rock+%27n%27+roll+or+jazz", kHost, kFirefoxAgent),
                page("Tim kiem", "0 ket qua."));
  // "passwd" in a URI and a help page that talks about /etc/passwd (9000022, 9000029).
  http_exchange(gen, hosts::citizen1(), hosts::portal(),
                http_request("GET", "/huong-dan/doi-passwd.html", kHost, kFirefoxAgent),
                page("Doi mat khau",
                     "On Linux servers account names live in /etc/passwd and hashes in "
                     "/etc/shadow; never send either file to anyone."));
  // A relative link the browser already resolved, and a JavaScript file full of
  // "() {" in a response (9000023).
  http_exchange(gen, hosts::citizen2(), hosts::portal(),
                http_request("GET", "/static/js/app.js", kHost, kChromeAndroidAgent,
                             "Referer: http://dichvucong.tinh.example/static/../index.html\r\n"),
                http_response(200, "OK", "application/javascript",
                              "(function() { 'use strict'; var init = function() { return 1; };\n"
                              "window.onload = () => { init(); }; })();\n"));
  // Template placeholders that are not JNDI lookups (9000024, 9000025).
  http_exchange(gen, hosts::partner(), hosts::portal(),
                http_request("POST", "/api/v1/thongbao", kHost, "okhttp/4.12.0",
                             "Content-Type: application/json\r\n",
                             "{\"mau\":\"Kinh gui ${hoTen}, ho so ${maHoSo} da duoc tiep nhan.\","
                             "\"kenh\":\"${env.CHANNEL}\"}"),
                http_response(201, "Created", "application/json", "{\"ok\":true}"));
  // An ordinary image upload (9000026).
  {
    const std::string body =
        "------WebKitFormBoundaryX3b9\r\n"
        "Content-Disposition: form-data; name=\"avatar\"; filename=\"avatar.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
        "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9\r\n"
        "------WebKitFormBoundaryX3b9--\r\n"s;  // s: the JPEG bytes contain NULs
    http_exchange(
        gen, hosts::citizen1(), hosts::portal(),
        http_request("POST", "/taikhoan/upload.php", kHost, kFirefoxAgent,
                     "Content-Type: multipart/form-data; boundary=----WebKitFormBoundaryX3b9\r\n",
                     body),
        http_response(200, "OK", "application/json", "{\"status\":\"ok\"}"));
  }
  // Tool names in paths and pages, semicolons in URIs, "uid=" in a query (9000027, 9000028,
  // 9000030-9000035).
  http_exchange(
      gen, hosts::office(), hosts::portal(),
      http_request("GET", "/downloads/wget-1.24.5.tar.gz;jsessionid=A1B2C3", kHost, "curl/8.5.0"),
      http_response(404, "Not Found", "text/html",
                    html_page("404 Not Found", "Khong tim thay trang.")));
  http_exchange(gen, hosts::office(), hosts::portal(),
                http_request("GET", "/bao-mat/kiem-thu-sqlmap-nikto-hydra.html?uid=1000&gid=20",
                             kHost, kFirefoxAgent),
                page("Kiem thu bao mat",
                     "Internal audits use sqlmap, Nikto, masscan, zgrab and Hydra; the Nmap "
                     "Scripting Engine checks TLS. Their output looks like uid=0 gid=0."));
  // A VLAN-tagged flow to the API server.
  http_exchange(gen, hosts::partner(), hosts::api(),
                http_request("GET", "/api/v1/files/download?name=bieu-mau-01.pdf",
                             "api.tinh.example", "okhttp/4.12.0"),
                http_response(200, "OK", "application/pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
                LinkOptions{{hosts::kPortalVlan}, 52, 64});
  // IPv6.
  http_exchange(gen, hosts::citizen_v6(), hosts::portal_v6(),
                http_request("GET", "/tin-tuc/", kHost, kChromeAndroidAgent),
                page("Tin tuc", "Thong bao lich tiep cong dan thang 7."));
}

void services(Generator& gen) {
  // A successful FTP login as anonymous (9000040, 9000041).
  {
    TcpSession s(gen, {hosts::partner(), gen.ephemeral_port()}, {hosts::ftp(), 21});
    s.handshake();
    s.server_send("220 (vsFTPd 3.0.5)\r\n");
    s.client_send("USER anonymous\r\n");
    s.server_send("331 Please specify the password.\r\n");
    s.client_send("PASS guest@tinh.example\r\n");
    s.server_send("230 Login successful.\r\n");
    s.client_send("PWD\r\n");
    s.server_send("257 \"/\" is the current directory\r\n");
    s.client_send("QUIT\r\n");
    s.server_send("221 Goodbye.\r\n");
    s.close_by_server();
  }
  // OpenSSH clients (9000042).
  for (std::string_view banner : {std::string_view("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.4\r\n"),
                                  std::string_view("SSH-2.0-PuTTY_Release_0.81\r\n")}) {
    ssh_exchange(gen, hosts::office(), hosts::ssh(), banner);
  }
  // DNS, including names that contain attack words.
  dns_lookup(gen, {hosts::citizen1(), gen.ephemeral_port()}, {hosts::dns(), 53},
             "dichvucong.tinh.example", "10.20.1.10");
  dns_lookup(gen, {hosts::citizen2(), gen.ephemeral_port()}, {hosts::dns(), 53},
             "union-select.tinh.example", "");
  dns_lookup(gen, {hosts::partner(), gen.ephemeral_port()}, {hosts::dns(), 53},
             "passwd.tinh.example", "");
  // Ordinary pings with 56 bytes of data, from outside and over IPv6 (9000010, 9000011).
  for (std::uint16_t seq = 1; seq <= 3; ++seq)
    ping(gen, hosts::office(), hosts::portal(), 0x2b01, seq, 56);
  ping(gen, hosts::citizen_v6(), hosts::portal_v6(), 0x0b0f, 1, 56);
  gen.gap();
  // A refused connection from an ordinary client (9000001-9000006).
  TcpSession(gen, {hosts::citizen1(), gen.ephemeral_port()}, {hosts::portal(), 8443}).refused();
  gen.gap();
}

}  // namespace

void benign(Generator& gen) {
  web(gen);
  services(gen);
}

}  // namespace wp::trafficgen
