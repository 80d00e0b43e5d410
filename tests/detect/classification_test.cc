#include "detect/compile/classification.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace wp::detect {
namespace {

namespace fs = std::filesystem;

// A file in a fresh temporary directory, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("wp_classification_test_" + std::to_string(::getpid()) +
                                        "_" + std::to_string(counter++));
    fs::create_directories(dir_);
    path_ = (dir_ / "classification.config").string();
    std::ofstream(path_) << content;
  }
  ~TempFile() { fs::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  fs::path dir_;
  std::string path_;
};

TEST(ClassificationTable, DefaultsHaveSuricataAndEmergingThreatsClasstypes) {
  ClassificationTable t = ClassificationTable::defaults();
  struct Case {
    const char* name;
    const char* description;
    int priority;
  };
  for (const Case& c :
       {Case{"not-suspicious", "Not Suspicious Traffic", 3},
        Case{"bad-unknown", "Potentially Bad Traffic", 2},
        Case{"attempted-admin", "Attempted Administrator Privilege Gain", 1},
        Case{"tcp-connection", "A TCP connection was detected", 4},
        Case{"trojan-activity", "A Network Trojan was detected", 1},
        Case{"policy-violation", "Potential Corporate Privacy Violation", 1},
        Case{"command-and-control", "Malware Command and Control Activity Detected", 1},
        Case{"social-engineering", "Possible Social Engineering Attempted", 2},
        Case{"coin-mining", "Crypto Currency Mining Activity Detected", 2}}) {
    const Classification* found = t.find(c.name);
    ASSERT_NE(found, nullptr) << c.name;
    EXPECT_EQ(found->description, c.description);
    EXPECT_EQ(found->priority, c.priority) << c.name;
  }
  EXPECT_EQ(t.find("no-such-class"), nullptr);
}

TEST(ClassificationTable, LoadParsesEntriesSkippingCommentsAndBlankLines) {
  TempFile f(
      "# comment\n"
      "\n"
      "config classification: local-thing,Local Thing Happened, 2\n"
      "config classification:other,Other,4\n");
  auto t = ClassificationTable::load(f.path());
  ASSERT_TRUE(t.ok()) << t.error().describe();
  ASSERT_NE(t->find("local-thing"), nullptr);
  EXPECT_EQ(t->find("local-thing")->description, "Local Thing Happened");
  EXPECT_EQ(t->find("local-thing")->priority, 2);
  EXPECT_EQ(t->find("other")->priority, 4);
  EXPECT_EQ(t->find("trojan-activity"), nullptr);  // a loaded file replaces the defaults
}

TEST(ClassificationTable, LoadReportsTheFirstMalformedLineWithFileAndLine) {
  struct Case {
    const char* content;
    const char* message;  // after "PATH:"
  };
  for (const Case& c : {
           Case{"config classification: a,b\n",
                "2: expected 'config classification: name,description,priority'"},
           Case{"config classification: a,b,high\n", "2: invalid priority 'high'"},
           Case{"classification: a,b,1\n",
                "2: expected 'config classification: name,description,priority'"},
       }) {
    TempFile f(std::string("# header\n") + c.content);
    auto t = ClassificationTable::load(f.path());
    ASSERT_FALSE(t.ok()) << c.content;
    EXPECT_EQ(t.error().describe(), f.path() + ":" + c.message);
  }
}

TEST(ClassificationTable, LoadOfMissingFileNamesTheFile) {
  auto t = ClassificationTable::load("/nonexistent/classification.config");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().describe(),
            "/nonexistent/classification.config: cannot open: No such file or directory");
}

TEST(ReferenceTable, DefaultsBuildUrlsAndPassUnknownSystemsThrough) {
  ReferenceTable t = ReferenceTable::defaults();
  EXPECT_EQ(t.url("url", "example.com/x"), "http://example.com/x");
  EXPECT_EQ(t.url("cve", "2021-44228"), "http://cve.mitre.org/cgi-bin/cvename.cgi?name=2021-44228");
  EXPECT_EQ(t.url("McAfee", "1"), "http://vil.nai.com/vil/content/v_1");
  EXPECT_EQ(t.url("nosuch", "abc"), "abc");
}

TEST(ReferenceTable, LoadParsesSystemAndPrefix) {
  TempFile f(
      "# refs\nconfig reference: local   https://wiki.example/ref/\nconfig reference: bad\n");
  auto bad = ReferenceTable::load(f.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().describe(),
            f.path() + ":3: expected 'config reference: system url-prefix'");

  TempFile g("config reference: local   https://wiki.example/ref/\n");
  auto t = ReferenceTable::load(g.path());
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_EQ(t->url("local", "42"), "https://wiki.example/ref/42");
}

}  // namespace
}  // namespace wp::detect
