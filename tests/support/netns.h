// VethLink: two network namespaces joined by a veth pair, for live-capture tests: the sensor
// captures on one end (run it with in_sensor_ns()), the test sends crafted frames from the
// other (send()). Needs root and network namespaces; create() says why when it cannot.
// Header-only; tests only. The namespaces (and with them the veth pair) are deleted by the
// destructor.
#pragma once

#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace wp::testing {

class VethLink {
 public:
  // Namespaces "wpt<pid>-<n>s" and "...t" with interfaces `sensor_iface` and "wp-traffic";
  // nullptr (and `why`) when not root or when namespaces cannot be made.
  static std::unique_ptr<VethLink> create(std::string& why,
                                          const std::string& sensor_iface = "wp-sensor") {
    if (::geteuid() != 0) {
      why = "not root: live-capture tests need network namespaces (CI runs as root)";
      return nullptr;
    }
    static int n = 0;
    std::unique_ptr<VethLink> l(new VethLink());
    const std::string base = "wpt" + std::to_string(::getpid()) + "-" + std::to_string(n++);
    l->sensor_ns_ = base + "s";
    l->traffic_ns_ = base + "t";
    l->sensor_iface_ = sensor_iface;
    if (!sh("ip netns add " + l->sensor_ns_) || !sh("ip netns add " + l->traffic_ns_)) {
      why = "cannot create network namespaces (ip netns add failed)";
      return nullptr;
    }
    l->created_ = true;
    if (!l->add_veth()) {
      why = "cannot create a veth pair between the namespaces";
      return nullptr;
    }
    return l;
  }

  ~VethLink() {
    if (!created_) return;
    sh("ip netns del " + sensor_ns_);
    sh("ip netns del " + traffic_ns_);
  }

  const std::string& sensor_ns() const { return sensor_ns_; }
  const std::string& sensor_iface() const { return sensor_iface_; }
  const std::string& traffic_ns() const { return traffic_ns_; }

  // argv prefixed to run a program in the sensor's namespace.
  std::vector<std::string> in_sensor_ns(std::vector<std::string> argv) const {
    std::vector<std::string> out = {"/usr/sbin/ip", "netns", "exec", sensor_ns_};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  // Deletes the sensor's interface (and so the pair); add_veth() adds it again.
  bool delete_sensor_iface() { return sh("ip -n " + sensor_ns_ + " link del " + sensor_iface_); }
  bool add_veth() { return add_pair(sensor_iface_, "wp-traffic"); }
  // Another veth pair between the same namespaces (a second link to capture).
  bool add_pair(const std::string& sensor_iface, const std::string& traffic_iface) {
    return sh("ip link add " + sensor_iface + " netns " + sensor_ns_ + " type veth peer name " +
              traffic_iface + " netns " + traffic_ns_) &&
           // No IPv6: its neighbour discovery would add frames the tests did not send.
           sh("ip netns exec " + sensor_ns_ + " sysctl -qw net.ipv6.conf." + sensor_iface +
              ".disable_ipv6=1") &&
           sh("ip netns exec " + traffic_ns_ + " sysctl -qw net.ipv6.conf." + traffic_iface +
              ".disable_ipv6=1") &&
           sh("ip -n " + sensor_ns_ + " link set " + sensor_iface + " up") &&
           sh("ip -n " + traffic_ns_ + " link set " + traffic_iface + " up") &&
           sh("ip -n " + sensor_ns_ + " link set lo up");
  }

  // Runs `fn` in a child process inside `ns`; true when it returned true.
  static bool in_namespace(const std::string& ns, const std::function<bool()>& fn) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(2);
      ::_exit(fn() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  // Sends Ethernet frames from the traffic end (AF_PACKET) of `traffic_iface`, `gap_us` apart.
  bool send(const std::vector<std::vector<std::uint8_t>>& frames, int gap_us = 0,
            const std::string& traffic_iface = "wp-traffic") const {
    return in_namespace(traffic_ns_, [&] {
      const int s = ::socket(AF_PACKET, SOCK_RAW, 0);
      if (s < 0) return false;
      sockaddr_ll sa{};
      sa.sll_family = AF_PACKET;
      sa.sll_ifindex = static_cast<int>(::if_nametoindex(traffic_iface.c_str()));
      sa.sll_halen = 6;
      if (sa.sll_ifindex == 0) return false;
      for (const auto& f : frames) {
        while (::sendto(s, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
          if (errno != ENOBUFS) return false;
          ::usleep(100);
        }
        if (gap_us > 0) ::usleep(static_cast<useconds_t>(gap_us));
      }
      ::close(s);
      return true;
    });
  }

  static bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

 private:
  VethLink() = default;
  std::string sensor_ns_, traffic_ns_, sensor_iface_;
  bool created_ = false;
};

}  // namespace wp::testing
