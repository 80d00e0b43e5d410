// The collector's Server in process (plain TCP, short timeouts): the bounds that would take
// minutes with the binary's defaults.
#include "server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "client.h"
#include "sample.h"
#include "store.h"
#include "store_thread.h"
#include "support/temp_dir.h"

namespace wp::collector {
namespace {

using namespace std::chrono_literals;

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    auto s = store::Store::open({dir_.file("store.sqlite"), false});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::make_unique<StoreThread>(std::move(s).value(), nullptr);
    store_->start();
    o.host = "127.0.0.1";
    o.plaintext = true;
    auto server = Server::create(io_, o, *store_);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->bind().ok());
    server_->start();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) {
      boost::asio::post(io_, [this] {
        server_->stop([this] {
          store_->stop();
          work_.reset();
        });
      });
    } else {
      work_.reset();
    }
    if (io_thread_.joinable()) io_thread_.join();
  }

  std::unique_ptr<SensorClient> connect() {
    ClientOptions o;
    o.plaintext = true;
    o.port = server_->local_endpoint().port();
    auto c = SensorClient::connect(o);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // True when the collector closes `c` within `limit` (a read ends without an ack).
  static bool closed_within(SensorClient& c, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    const bool no_ack = !c.read_ack(limit + 2s).ok();
    return no_ack && std::chrono::steady_clock::now() - start < limit;
  }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<StoreThread> store_;
  std::unique_ptr<Server> server_;
  std::thread io_thread_;
};

TEST_F(ServerTest, ClosesAConnectionWhoseFrameStallsAfterItsHeader) {
  ServerOptions o;
  o.frame_timeout = 300ms;
  start(o);
  auto slow = connect();
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->send_bytes(std::string("\0\0\1\0partial", 11)).ok());  // 256 announced
  EXPECT_TRUE(closed_within(*slow, 3s));
}

TEST_F(ServerTest, ClosesAConnectionThatSendsNothing) {
  ServerOptions o;
  o.idle_timeout = 300ms;
  start(o);
  auto idle = connect();
  ASSERT_TRUE(idle);
  EXPECT_TRUE(closed_within(*idle, 3s));
}

TEST_F(ServerTest, ClosesConnectionsBeyondTheLimitAndServesTheOthers) {
  ServerOptions o;
  o.max_connections = 1;
  start(o);
  auto first = connect();
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->send(sample_batch("lab-1", "lab", 1, 0, 0)).ok());
  ASSERT_TRUE(first->read_ack(5s).ok());  // the first connection is registered
  auto second = connect();                // TCP accepts it; the collector closes it
  ASSERT_TRUE(second);
  EXPECT_TRUE(closed_within(*second, 3s));
  ASSERT_TRUE(first->send(sample_batch("lab-1", "lab", 1, 1, 5)).ok());
  auto ack = first->read_ack(5s);
  ASSERT_TRUE(ack.ok()) << ack.error().describe();
  EXPECT_EQ(ack->acked_seq(), 5u);
}

TEST_F(ServerTest, KeepsAcknowledgingWhenAConnectionHasMoreBatchesInFlightThanItsBound) {
  ServerOptions o;
  o.max_inflight_batches = 2;  // the connection pauses reading after two, resumes on acks
  start(o);
  auto c = connect();
  ASSERT_TRUE(c);
  std::vector<std::string> frames;
  for (int i = 0; i < 40; ++i)
    frames.push_back(frame_of(sample_batch("lab-1", "lab", 1, 1 + 50 * i, 50)));
  std::vector<std::uint64_t> acked;
  auto r = c->pipeline(
      frames, 16, [](std::size_t) {},
      [&](std::size_t, const watchpost::v1::Ack& a) { acked.push_back(a.acked_seq()); }, 30s);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(acked.size(), 40u);
  for (std::size_t i = 0; i < acked.size(); ++i) EXPECT_EQ(acked[i], 50 * (i + 1));
}

}  // namespace
}  // namespace wp::collector
