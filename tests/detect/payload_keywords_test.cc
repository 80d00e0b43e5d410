// byte_test, byte_jump, byte_extract, byte_math, isdataat, base64_decode/base64_data, bsize,
// urilen and pcre modifiers: each case goes through the real parser, RuleSet and Detector,
// on a real TCP packet built by tests/support/packet_builder and decoded by the decoder.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "decode/decoder.h"
#include "detect/engine/detector.h"
#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"
#include "support/packet_builder.h"
#include "support/temp_dir.h"

namespace wp::detect {
namespace {

using namespace std::string_view_literals;

// One rule, one detector; alerts() sends a packet to the server on port 80.
class OneRule {
 public:
  explicit OneRule(const std::string& options) : decoder_(decode::DecoderConfig{}, counters_) {
    RuleParser parser(RuleVars::suricata_defaults());
    const std::string text = "alert tcp any any -> any any (msg:\"t\"; " + options + " sid:1;)";
    auto r = parser.parse(text, "test.rules", 1);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().describe());
    std::vector<Rule> rules;
    if (r.ok()) rules.push_back(std::move(r).value());
    auto built = RuleSet::build(std::move(rules), ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(built.ok());
    set_ = built.value();
    detector_ = std::make_unique<Detector>(set_, DetectorConfig{}, counters_);
  }

  bool alerts(std::string_view payload) {
    frame_ = wp::testing::tcp_packet(wp::testing::ip("203.0.113.5"), wp::testing::ip("10.0.0.2"),
                                     wp::testing::TcpSpec{}, payload);
    capture::RawPacket raw;
    raw.ts = {1700000000, 0};
    raw.data = frame_.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(frame_.size());
    raw.number = 1;
    decode::Packet pkt;
    EXPECT_EQ(decoder_.decode(raw, pkt), decode::DecodeStatus::kOk);
    EXPECT_EQ(pkt.payload.size(), payload.size());
    return !detector_->inspect(pkt, flow::FlowRef{nullptr, true, false}).empty();
  }

 private:
  Counters counters_;
  decode::Decoder decoder_;
  std::shared_ptr<const RuleSet> set_;
  std::unique_ptr<Detector> detector_;
  wp::testing::Frame frame_;
};

struct MatchCase {
  const char* name;     // the behaviour, as the test name
  const char* options;  // rule options before sid
  std::string_view payload;
  bool alerts;
};

class PayloadKeyword : public ::testing::TestWithParam<MatchCase> {};

TEST_P(PayloadKeyword, AlertsAsSuricataDoes) {
  const MatchCase& c = GetParam();
  OneRule rule(c.options);
  EXPECT_EQ(rule.alerts(c.payload), c.alerts) << c.options;
}

std::string case_name(const ::testing::TestParamInfo<MatchCase>& info) { return info.param.name; }

// clang-format off
INSTANTIATE_TEST_SUITE_P(ByteTest, PayloadKeyword, ::testing::Values(
    MatchCase{"BigEndianEqualsAtAbsoluteOffset", "content:\"AB\"; byte_test:2,=,0x0102,2;", "AB\x01\x02"sv, true},
    MatchCase{"BigEndianOtherValueDoesNotMatch", "content:\"AB\"; byte_test:2,=,0x0102,2;", "AB\x02\x01"sv, false},
    MatchCase{"LittleEndianReadsTheLowByteFirst", "content:\"AB\"; byte_test:2,=,0x0102,2,little;", "AB\x02\x01"sv, true},
    MatchCase{"ThreeBinaryBytes", "content:\"AB\"; byte_test:3,=,0x010203,2;", "AB\x01\x02\x03"sv, true},
    MatchCase{"EightBinaryBytes", "content:\"AB\"; byte_test:8,=,0x0102030405060708,2;", "AB\x01\x02\x03\x04\x05\x06\x07\x08"sv, true},
    MatchCase{"LessThanHolds", "content:\"AB\"; byte_test:1,<,10,2;", "AB\x09"sv, true},
    MatchCase{"LessThanFailsOnEqual", "content:\"AB\"; byte_test:1,<,10,2;", "AB\x0a"sv, false},
    MatchCase{"LessOrEqualHoldsOnEqual", "content:\"AB\"; byte_test:1,<=,10,2;", "AB\x0a"sv, true},
    MatchCase{"GreaterOrEqualFailsBelow", "content:\"AB\"; byte_test:1,>=,11,2;", "AB\x0a"sv, false},
    MatchCase{"GreaterThanHolds", "content:\"AB\"; byte_test:1,>,10,2;", "AB\x0b"sv, true},
    MatchCase{"AndMatchesWhenAMaskBitIsSet", "content:\"AB\"; byte_test:1,&,0x80,2;", "AB\x81"sv, true},
    MatchCase{"AndFailsWhenNoMaskBitIsSet", "content:\"AB\"; byte_test:1,&,0x80,2;", "AB\x7f"sv, false},
    MatchCase{"NegatedAndMatchesWhenNoMaskBitIsSet", "content:\"AB\"; byte_test:1,!&,0x80,2;", "AB\x7f"sv, true},
    MatchCase{"XorMatchesWhenTheValuesDiffer", "content:\"AB\"; byte_test:1,^,0x41,2;", "ABB"sv, true},
    MatchCase{"XorFailsWhenTheValuesAreEqual", "content:\"AB\"; byte_test:1,^,0x41,2;", "ABA"sv, false},
    MatchCase{"BangEqualsFailsOnEqual", "content:\"AB\"; byte_test:1,!=,0x41,2;", "ABA"sv, false},
    MatchCase{"LoneBangMeansNotEqual", "content:\"AB\"; byte_test:1,!,0x41,2;", "ABB"sv, true},
    MatchCase{"RelativeStringDecimalComparesAfterPreviousContent", "content:\"len=\"; byte_test:3,>,100,0,relative,string,dec;", "xlen=150;"sv, true},
    MatchCase{"RelativeStringDecimalBelowTheValueDoesNotMatch", "content:\"len=\"; byte_test:3,>,100,0,relative,string,dec;", "xlen=099;"sv, false},
    MatchCase{"StringHexReadsHexDigits", "content:\"v=\"; byte_test:2,=,255,0,relative,string,hex;", "v=ff"sv, true},
    MatchCase{"StringOctalReadsOctalDigits", "content:\"v=\"; byte_test:3,=,8,0,relative,string,oct;", "v=010"sv, true},
    MatchCase{"StringStopsAtTheFirstNonDigit", "content:\"v=\"; byte_test:4,=,12,0,relative,string,dec;", "v=12ab"sv, true},
    MatchCase{"StringWithoutDigitsNeverMatches", "content:\"v=\"; byte_test:4,!=,1,0,relative,string,dec;", "v=abcd"sv, false},
    MatchCase{"StringZeroBytesReadsToTheEndOfTheBuffer", "content:\"n=\"; byte_test:0,>,1000,0,relative,string,dec;", "n=12345"sv, true},
    MatchCase{"BytesBeyondTheBufferDoNotMatch", "content:\"AB\"; byte_test:4,>,0,0,relative;", "AB\x01\x02"sv, false},
    MatchCase{"NegativeRelativeOffsetReadsInsideThePreviousMatch", "content:\"XY\"; byte_test:1,=,0x58,-2,relative;", "aXY"sv, true},
    MatchCase{"BitmaskShiftsOutTheMasksTrailingZeros", "content:\"AB\"; byte_test:1,=,3,2,bitmask 0x30;", "AB\x35"sv, true},
    MatchCase{"RetriesThePreviousContentWhenTheRelativeTestFails", "content:\"k=\"; byte_test:1,=,0x31,0,relative;", "k=0 k=1"sv, true},
    MatchCase{"RelativeWithoutAPreviousMatchStartsAtTheBufferStart", "byte_test:1,=,0x41,0,relative;", "AB"sv, true},
    MatchCase{"DoesNotMoveTheCursor", "content:\"AB\"; byte_test:1,=,0x43,0,relative; content:\"C\"; within:1;", "ABC"sv, true},
    MatchCase{"ValueFromAnExtractedVariable", "byte_extract:1,0,n; byte_test:1,=,n,1;", "\x07\x07"sv, true},
    MatchCase{"ValueFromAnExtractedVariableDiffers", "byte_extract:1,0,n; byte_test:1,=,n,1;", "\x07\x08"sv, false},
    MatchCase{"OffsetFromAnExtractedVariable", "byte_extract:1,0,off; byte_test:1,=,0x5a,off;", "\x03" "abZ"sv, true}),
    case_name);

INSTANTIATE_TEST_SUITE_P(ByteJump, PayloadKeyword, ::testing::Values(
    MatchCase{"SkipsALengthFieldThenRelativeContentMatches", "content:\"L\"; byte_jump:1,0,relative; content:\"END\"; within:3;", "L\x03" "abcEND"sv, true},
    MatchCase{"ShortLengthLandsElsewhere", "content:\"L\"; byte_jump:1,0,relative; content:\"END\"; within:3;", "L\x02" "abcEND"sv, false},
    MatchCase{"LittleEndianTwoBytes", "content:\"L\"; byte_jump:2,0,relative,little; content:\"Z\"; within:1;", "L\x02\x00" "xxZ"sv, true},
    MatchCase{"MultiplierScalesTheValue", "content:\"L\"; byte_jump:1,0,relative,multiplier 2; content:\"Z\"; within:1;", "L\x02" "abcdZ"sv, true},
    MatchCase{"AlignRoundsUpToAMultipleOfFour", "content:\"L\"; byte_jump:1,0,relative,align; content:\"Z\"; within:1;", "L\x01" "abcdZ"sv, true},
    MatchCase{"PostOffsetAdjustsTheTarget", "content:\"L\"; byte_jump:1,0,relative,post_offset -1; content:\"Z\"; within:1;", "L\x03" "abZc"sv, true},
    MatchCase{"FromBeginningJumpsFromTheBufferStart", "content:\"L\"; byte_jump:1,0,relative,from_beginning; content:\"Z\"; within:1;", "xxL\x05.Z"sv, true},
    MatchCase{"FromEndJumpsFromTheBufferEnd", "content:\"L\"; byte_jump:1,0,relative,from_end,post_offset -2; content:\"Z\"; within:1;", "L\x00" "abZc"sv, true},
    MatchCase{"LandingInsideTheBufferMatches", "content:\"L\"; byte_jump:1,0,relative;", "L\x01" "ab"sv, true},
    MatchCase{"LandingAtTheBufferEndDoesNotMatch", "content:\"L\"; byte_jump:1,0,relative;", "L\x02" "ab"sv, false},
    MatchCase{"LandingBeforeTheBufferDoesNotMatch", "content:\"L\"; byte_jump:1,0,relative,post_offset -10;", "L\x01" "ab"sv, false},
    MatchCase{"StringDecimalJumpsFromTheEndOfTheDigits", "content:\"len:\"; byte_jump:2,0,relative,string,dec; content:\"!\"; within:1;", "len:05abcde!"sv, true},
    MatchCase{"OffsetFromAnExtractedVariable", "byte_extract:1,0,o; byte_jump:1,o; content:\"Z\"; within:1;", "\x02x\x01yZ"sv, true},
    MatchCase{"BitmaskAppliesBeforeTheMultiplier", "content:\"L\"; byte_jump:1,0,relative,bitmask 0x0f,multiplier 2; content:\"Z\"; within:1;", "L\xf1" "abZ"sv, true},
    MatchCase{"ByteCountFromAVariable", "byte_extract:1,0,n; byte_jump:n,1; content:\"Z\"; within:1;", "\x02\x00\x02" "abZ"sv, true},
    MatchCase{"ByteCountFromAVariableReadsThatManyBytes", "byte_extract:1,0,n; byte_jump:n,1; content:\"Z\"; within:1;", "\x01\x02" "abZ"sv, true},
    MatchCase{"ByteCountFromAVariableOtherCountLandsElsewhere", "byte_extract:1,0,n; byte_jump:n,1; content:\"Z\"; within:1;", "\x01\x00\x02" "abZ"sv, false},
    MatchCase{"ByteCountVariableOfZeroDoesNotMatch", "byte_extract:1,0,n; byte_jump:n,1;", "\x00\x01\x01\x01"sv, false},
    MatchCase{"ByteCountVariableAboveEightBinaryDoesNotMatch", "byte_extract:1,0,n; byte_jump:n,1;", "\x09" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv, false},
    MatchCase{"ByteCountVariableOfTenAsAStringMatches", "byte_extract:1,0,n; byte_jump:n,1,string,dec; content:\"Z\"; within:1;", "\x0a" "0000000001" "aZ"sv, true},
    MatchCase{"ByteCountVariableAboveTenAsAStringDoesNotMatch", "byte_extract:1,0,n; byte_jump:n,1,string,dec;", "\x0b" "00000000001" "aZ"sv, false},
    MatchCase{"ByteCountVariablePastTheBufferDoesNotMatch", "byte_extract:1,0,n; byte_jump:n,1;", "\x04\x00\x00"sv, false}),
    case_name);

INSTANTIATE_TEST_SUITE_P(ByteExtract, PayloadKeyword, ::testing::Values(
    MatchCase{"ExtractedLengthBoundsWithin", "content:\"T\"; byte_extract:1,0,len,relative; content:\"needle\"; within:len;", "T\x08xxneedle"sv, true},
    MatchCase{"ShortExtractedLengthFailsWithin", "content:\"T\"; byte_extract:1,0,len,relative; content:\"needle\"; within:len;", "T\x05xxneedle"sv, false},
    MatchCase{"RelativeItemsStartAfterTheExtractedBytes", "content:\"T\"; byte_extract:2,0,v,relative; content:\"Q\"; distance:0; within:1;", "T\x00\x01Q"sv, true},
    MatchCase{"DistanceFromAVariable", "byte_extract:1,0,d; content:\"Z\"; distance:d; within:1;", "\x02" "abZ"sv, true},
    MatchCase{"DistanceFromAVariableTooShort", "byte_extract:1,0,d; content:\"Z\"; distance:d; within:1;", "\x01" "abZ"sv, false},
    MatchCase{"OffsetAndDepthFromVariables", "byte_extract:1,0,o; byte_extract:1,1,n; content:\"Z\"; offset:o; depth:n;", "\x03\x02" "aZ"sv, true},
    MatchCase{"DepthFromAVariableLimitsTheSearch", "byte_extract:1,0,o; byte_extract:1,1,n; content:\"Z\"; offset:o; depth:n;", "\x03\x01" "aaZ"sv, false},
    MatchCase{"MultiplierThenAlign", "byte_extract:1,0,n,multiplier 3,align 4; byte_test:1,=,n,1;", "\x01\x04"sv, true},
    MatchCase{"LittleEndianValue", "byte_extract:2,0,n,little; byte_test:1,=,n,2;", "\x05\x00\x05"sv, true},
    MatchCase{"StringDecimalMovesTheCursorPastTheDigits", "content:\"n=\"; byte_extract:2,0,n,relative,string,dec; byte_test:1,=,n,0,relative;", "n=65A"sv, true},
    MatchCase{"IsdataatSizeFromAVariable", "byte_extract:1,0,n; isdataat:n,relative;", "\x03" "abc"sv, true},
    MatchCase{"IsdataatSizeFromAVariableTooLarge", "byte_extract:1,0,n; isdataat:n,relative;", "\x04" "abc"sv, false},
    MatchCase{"AByteMathResultReplacesAnExtractedValue", "byte_extract:1,0,n; byte_math:bytes 1,offset 1,oper +,rvalue 0,result n; byte_test:1,=,n,2;", "\x01\x02\x02"sv, true},
    MatchCase{"BytesBeyondTheBufferDoNotMatch", "content:\"T\"; byte_extract:4,0,n,relative;", "T\x01\x02"sv, false}),
    case_name);

INSTANTIATE_TEST_SUITE_P(ByteMath, PayloadKeyword, ::testing::Values(
    MatchCase{"AddsTheRvalueAndStoresTheResult", "byte_math:bytes 1, offset 0, oper +, rvalue 2, result r; byte_test:1,=,r,1;", "\x03\x05"sv, true},
    MatchCase{"Subtracts", "byte_math:bytes 1, offset 0, oper -, rvalue 2, result r; byte_test:1,=,r,1;", "\x05\x03"sv, true},
    MatchCase{"Multiplies", "byte_math:bytes 1, offset 0, oper *, rvalue 3, result r; byte_test:1,=,r,1;", "\x02\x06"sv, true},
    MatchCase{"Divides", "byte_math:bytes 1, offset 0, oper /, rvalue 2, result r; byte_test:1,=,r,1;", "\x07\x03"sv, true},
    MatchCase{"ShiftsLeft", "byte_math:bytes 1, offset 0, oper <<, rvalue 2, result r; byte_test:1,=,r,1;", "\x03\x0c"sv, true},
    MatchCase{"ShiftsRight", "byte_math:bytes 2, offset 0, oper >>, rvalue 8, result r, endian little; byte_test:1,=,r,2;", "\x00\x07\x07"sv, true},
    MatchCase{"RvalueFromAVariable", "byte_extract:1,0,a; byte_math:bytes 1, offset 1, oper *, rvalue a, result r; byte_test:1,=,r,2;", "\x03\x02\x06"sv, true},
    MatchCase{"DivisionByAZeroVariableDoesNotMatch", "byte_extract:1,0,z; byte_math:bytes 1, offset 1, oper /, rvalue z, result r;", "\x00\x05"sv, false},
    MatchCase{"DivisionByANonZeroVariableMatches", "byte_extract:1,0,z; byte_math:bytes 1, offset 1, oper /, rvalue z, result r;", "\x01\x05"sv, true},
    MatchCase{"RelativeStringDecimalMovesTheCursorPastTheDigits", "content:\"n=\"; byte_math:bytes 2, offset 0, oper +, rvalue 1, result r, relative, string dec; byte_test:1,=,r,0,relative;", "n=64A"sv, true},
    MatchCase{"BitmaskAppliesToTheResult", "byte_math:bytes 1, offset 0, oper *, rvalue 2, result r, bitmask 0xf0; byte_test:1,=,r,1;", "\x18\x03"sv, true},
    MatchCase{"BytesBeyondTheBufferDoNotMatch", "content:\"T\"; byte_math:bytes 2, offset 0, oper +, rvalue 1, result r, relative;", "T\x01"sv, false},
    MatchCase{"ByteCountFromAVariable", "byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r; byte_test:1,=,r,3;", "\x02\x00\x05\x06"sv, true},
    MatchCase{"ByteCountFromAVariableOtherValue", "byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r; byte_test:1,=,r,3;", "\x01\x00\x05\x06"sv, false},
    MatchCase{"ByteCountVariableOfZeroDoesNotMatch", "byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r;", "\x00\x05"sv, false},
    MatchCase{"ByteCountVariableAboveEightBinaryDoesNotMatch", "byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r;", "\x09" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv, false},
    MatchCase{"ByteCountVariableAboveTenAsAStringDoesNotMatch", "byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r, string dec;", "\xff" "00000000001"sv, false}),
    case_name);

INSTANTIATE_TEST_SUITE_P(Isdataat, PayloadKeyword, ::testing::Values(
    MatchCase{"AbsoluteNeedsAByteAtTheOffset", "content:\"a\"; isdataat:3;", "abcd"sv, true},
    MatchCase{"AbsoluteFailsOnAShorterBuffer", "content:\"a\"; isdataat:3;", "abc"sv, false},
    MatchCase{"NegatedAbsoluteMatchesAShorterBuffer", "content:\"a\"; isdataat:!3;", "abc"sv, true},
    MatchCase{"NegatedAbsoluteFailsWhenTheByteExists", "content:\"a\"; isdataat:!3;", "abcd"sv, false},
    MatchCase{"RelativeNeedsNBytesAfterThePreviousMatch", "content:\"a\"; isdataat:2,relative;", "abc"sv, true},
    MatchCase{"RelativeFailsWithFewerBytesLeft", "content:\"a\"; isdataat:2,relative;", "ab"sv, false},
    MatchCase{"NegatedRelativeMatchesAtTheBufferEnd", "content:\"end\"; isdataat:!1,relative;", "the end"sv, true},
    MatchCase{"NegatedRelativeFailsWithDataAfter", "content:\"end\"; isdataat:!1,relative;", "the end."sv, false},
    MatchCase{"NegatedRelativeRetriesALaterOccurrence", "content:\"a\"; isdataat:!1,relative;", "aba"sv, true},
    MatchCase{"RawbytesIsAccepted", "content:\"a\"; isdataat:1,relative,rawbytes;", "ab"sv, true}),
    case_name);

// "the secret" = dGhlIHNlY3JldA==, "secret" = c2VjcmV0, "hi" = aGk=, "ab" = YWI=
INSTANTIATE_TEST_SUITE_P(Base64, PayloadKeyword, ::testing::Values(
    MatchCase{"DecodedContentMatches", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"secret\";", "b64=dGhlIHNlY3JldA=="sv, true},
    MatchCase{"DecodedContentAbsentDoesNotMatch", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"secret\";", "b64=dGhlIHB1YmxpYw=="sv, false},
    MatchCase{"EncodedTextIsNotTheDecodedBuffer", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"c2Vj\";", "b64=c2VjcmV0"sv, false},
    MatchCase{"OnlyDecodedContentStillPrefilters", "base64_decode; base64_data; content:\"the secret\";", "dGhlIHNlY3JldA=="sv, true},
    MatchCase{"BytesLimitsTheDecodedInput", "content:\"b64=\"; base64_decode:bytes 4,relative; base64_data; content:\"sec\";", "b64=c2VjcmV0"sv, true},
    MatchCase{"BytesLimitExcludesTheRest", "content:\"b64=\"; base64_decode:bytes 4,relative; base64_data; content:\"secret\";", "b64=c2VjcmV0"sv, false},
    MatchCase{"OffsetSkipsInput", "content:\"x\"; base64_decode:offset 2,relative; base64_data; content:\"hi\";", "x--aGk="sv, true},
    MatchCase{"WithoutRelativeDecodesFromTheBufferStart", "base64_decode; base64_data; content:\"hi\";", "aGk=...."sv, true},
    MatchCase{"StopsAtTheFirstInvalidCharacter", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"secret\";", "b64=c2Vj*cmV0"sv, false},
    MatchCase{"KeepsTheGroupsBeforeAnInvalidCharacter", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"sec\";", "b64=c2Vj*cmV0"sv, true},
    MatchCase{"RelativeContentInTheDecodedBuffer", "base64_decode; base64_data; content:\"a\"; content:\"b\"; distance:0; within:1;", "YWI="sv, true},
    MatchCase{"DecodedBufferStartsAtOffsetZero", "base64_decode; base64_data; content:\"b\"; offset:1; depth:1;", "YWI="sv, true},
    MatchCase{"NothingDecodedDoesNotMatch", "content:\"b64=\"; base64_decode:relative; base64_data; content:!\"x\";", "b64=***"sv, false},
    // The payload content after pkt_data is shorter than "b64=", which stays the fast pattern.
    MatchCase{"DecodedListIsTerminalAsInSuricata", "content:\"b64=\"; base64_decode:relative; base64_data; content:\"sec\"; pkt_data; content:\"zz\";", "b64=c2VjcmV0"sv, true},
    MatchCase{"BsizeComparesTheDecodedLength", "content:\"b64=\"; base64_decode:relative; base64_data; bsize:6;", "b64=c2VjcmV0"sv, true},
    MatchCase{"BsizeOtherLengthDoesNotMatch", "content:\"b64=\"; base64_decode:relative; base64_data; bsize:5;", "b64=c2VjcmV0"sv, false},
    MatchCase{"BsizeRange", "content:\"b64=\"; base64_decode:relative; base64_data; bsize:5<>7;", "b64=c2VjcmV0"sv, true}),
    case_name);

INSTANTIATE_TEST_SUITE_P(Pcre, PayloadKeyword, ::testing::Values(
    MatchCase{"RelativeStartsAfterThePreviousMatch", "content:\"id=\"; pcre:\"/^\\d+/R\";", "id=42"sv, true},
    MatchCase{"RelativeAnchorFailsElsewhere", "content:\"id=\"; pcre:\"/^\\d+/R\";", "id=x42"sv, false},
    MatchCase{"AnchoredFlagAnchorsAtTheRelativeStart", "content:\"id=\"; pcre:\"/\\d+/RA\";", "id=42"sv, true},
    MatchCase{"WithoutRelativeCaretAnchorsAtTheBufferStart", "content:\"id=\"; pcre:\"/^\\d+/\";", "id=42"sv, false},
    MatchCase{"RelativeRetriesAtTheNextOccurrenceOfThePreviousContent", "content:\"id=\"; pcre:\"/^7/R\";", "id=1 id=7"sv, true},
    MatchCase{"RawbytesFlagIsAccepted", "content:\"id=\"; pcre:\"/^\\d+/RB\";", "id=42"sv, true},
    MatchCase{"RelativeAfterByteJump", "content:\"L\"; byte_jump:1,0,relative; pcre:\"/^END/R\";", "L\x02" "abEND"sv, true}),
    case_name);
// clang-format on

// ---------------------------------------------------------------------------------------
// Rejected rules: exact message, summary reason, and whether it is "not supported yet".

struct Rejected {
  std::string options;
  std::string message;  // after "local.rules:1: sid 5: " and before "; rule skipped"
  std::string reason;
  bool not_supported = false;
};

std::vector<Rejected> rejected_cases() {
  const std::string unknown_n =
      "unknown variable 'n' (not set by an earlier byte_extract or byte_math)";
  std::string seventeen;
  for (int i = 0; i < 17; ++i) seventeen += "byte_extract:1,0,v" + std::to_string(i) + "; ";
  return {
      // byte_test
      {"byte_test:2,>,10;", "invalid byte_test: expected 'bytes, [!]operator, value, offset[, options]'", "invalid byte_test"},
      {"byte_test:x,>,10,0;", "invalid byte_test: 'x' is not a valid number of bytes", "invalid byte_test"},
      {"byte_test:9,>,10,0;", "invalid byte_test: 9 bytes without 'string' (1 to 8)", "invalid byte_test"},
      {"byte_test:0,>,10,0;", "invalid byte_test: 0 bytes without 'string' (1 to 8)", "invalid byte_test"},
      {"byte_test:21,>,10,0,string,dec;", "invalid byte_test: 21 bytes with 'string dec' (0 to 20)", "invalid byte_test"},
      {"byte_test:17,>,10,0,string,hex;", "invalid byte_test: 17 bytes with 'string hex' (0 to 16)", "invalid byte_test"},
      {"byte_test:2,~,10,0;", "invalid byte_test: unknown operator '~'", "invalid byte_test"},
      {"byte_test:2,>,n,0;", "invalid byte_test: " + unknown_n, "invalid byte_test"},
      {"byte_test:2,>,1x,0;", "invalid byte_test: value '1x' is not a number", "invalid byte_test"},
      {"byte_test:2,>,1,70000;", "invalid byte_test: offset '70000' is not a number from -65535 to 65535", "invalid byte_test"},
      {"byte_test:2,>,1,n;", "invalid byte_test: " + unknown_n, "invalid byte_test"},
      {"byte_test:2,>,1,0,sideways;", "invalid byte_test: unknown option 'sideways'", "invalid byte_test"},
      {"byte_test:2,>,1,0,relative,relative;", "invalid byte_test: 'relative' given twice", "invalid byte_test"},
      {"byte_test:2,>,1,0,big,little;", "invalid byte_test: 'endianness' given twice", "invalid byte_test"},
      {"byte_test:2,>,1,0,hex;", "invalid byte_test: 'hex' needs 'string'", "invalid byte_test"},
      {"byte_test:2,>,1,0,bitmask 0;", "invalid byte_test: bitmask '0' is not a number from 1 to 0xffffffff", "invalid byte_test"},
      {"byte_test:2,>,1,0,bitmask;", "invalid byte_test: 'bitmask' needs a value", "invalid byte_test"},
      {"byte_test:2,>,1,0,dce;", "byte_test option 'dce' not supported yet (needs the dcerpc parser)", "byte_test option 'dce' not supported yet", true},
      // byte_jump
      {"byte_jump:2;", "invalid byte_jump: expected 'bytes, offset[, options]'", "invalid byte_jump"},
      {"byte_jump:2,n;", "invalid byte_jump: " + unknown_n, "invalid byte_jump"},
      {"byte_jump:24,0,string,dec;", "invalid byte_jump: 24 bytes with 'string dec' (1 to 23)", "invalid byte_jump"},
      {"byte_jump:2,0,multiplier 0;", "invalid byte_jump: multiplier '0' is not a number from 1 to 65535", "invalid byte_jump"},
      {"byte_jump:2,0,from_beginning,from_end;", "invalid byte_jump: 'from_beginning/from_end' given twice", "invalid byte_jump"},
      {"byte_jump:2,0,post_offset;", "invalid byte_jump: 'post_offset' needs a value", "invalid byte_jump"},
      {"byte_jump:2,0,post_offset x;", "invalid byte_jump: post_offset 'x' is not a number from -65535 to 65535", "invalid byte_jump"},
      {"byte_jump:2,0,relative 5;", "invalid byte_jump: unknown option 'relative 5'", "invalid byte_jump"},
      {"byte_jump:2,0,align 4;", "invalid byte_jump: unknown option 'align 4'", "invalid byte_jump"},
      {"byte_jump:2,0,little,dce;", "invalid byte_jump: 'endianness' given twice", "invalid byte_jump"},
      {"byte_jump:n,0;", "invalid byte_jump: " + unknown_n, "invalid byte_jump"},
      {"byte_math:bytes n, offset 0, oper +, rvalue 1, result r;", "invalid byte_math: " + unknown_n, "invalid byte_math"},
      {"byte_jump:4,0,dce;", "byte_jump option 'dce' not supported yet (needs the dcerpc parser)", "byte_jump option 'dce' not supported yet", true},
      // byte_extract
      {"byte_extract:1,0;", "invalid byte_extract: expected 'bytes, offset, name[, options]'", "invalid byte_extract"},
      {"byte_extract:1,n,v;", "invalid byte_extract: offset 'n' is not a number from -65535 to 65535", "invalid byte_extract"},
      {"byte_extract:1,0,9lives;", "invalid byte_extract: invalid variable name '9lives'", "invalid byte_extract"},
      {"byte_extract:1,0,v,align 3;", "invalid byte_extract: align '3' is not 2 or 4", "invalid byte_extract"},
      {"byte_extract:1,0,v,bitmask 0xf;", "invalid byte_extract: unknown option 'bitmask 0xf'", "invalid byte_extract"},
      {"byte_extract:15,0,v,string,hex;", "invalid byte_extract: 15 bytes with 'string hex' (1 to 14)", "invalid byte_extract"},
      {"byte_extract:9,0,v;", "invalid byte_extract: 9 bytes without 'string' (1 to 8)", "invalid byte_extract"},
      {seventeen, "invalid byte_extract: more than 16 byte_extract/byte_math variables in one rule", "invalid byte_extract"},
      {"byte_extract:2,0,v,dce;", "byte_extract option 'dce' not supported yet (needs the dcerpc parser)", "byte_extract option 'dce' not supported yet", true},
      // byte_math
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1;", "invalid byte_math: missing 'result'", "invalid byte_math"},
      {"byte_math:offset 0, oper +, rvalue 1, result r;", "invalid byte_math: missing 'bytes'", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper %, rvalue 1, result r;", "invalid byte_math: unknown operator '%' (+, -, *, /, << or >>)", "invalid byte_math"},
      {"byte_math:bytes 5, offset 0, oper +, rvalue 1, result r;", "invalid byte_math: 5 bytes without 'string' (1, 2, 3, 4 or 8)", "invalid byte_math"},
      {"byte_math:bytes 11, offset 0, oper +, rvalue 1, result r, string dec;", "invalid byte_math: 11 bytes with 'string' (1 to 10)", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper /, rvalue 0, result r;", "invalid byte_math: division by zero", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue n, result r;", "invalid byte_math: " + unknown_n, "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, endian middle;", "invalid byte_math: endian 'middle' is not big, little or dce", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, string bin;", "invalid byte_math: string 'bin' is not hex, dec or oct", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, oper -;", "invalid byte_math: 'oper' given twice", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, relative 1;", "invalid byte_math: unknown option 'relative 1'", "invalid byte_math"},
      {"byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, endian dce;", "byte_math option 'dce' not supported yet (needs the dcerpc parser)", "byte_math option 'dce' not supported yet", true},
      // variables in content modifiers and isdataat
      {"content:\"a\"; offset:n;", "invalid offset: " + unknown_n, "invalid offset"},
      {"content:\"a\"; depth:n;", "invalid depth: " + unknown_n, "invalid depth"},
      {"content:\"a\"; content:\"b\"; distance:n;", "invalid distance: " + unknown_n, "invalid distance"},
      {"content:\"a\"; content:\"b\"; within:n;", "invalid within: " + unknown_n, "invalid within"},
      {"content:\"a\"; isdataat:n,relative;", "invalid isdataat: " + unknown_n, "invalid isdataat"},
      // A variable must be defined before it is used.
      {"content:\"a\"; within:n; byte_extract:1,0,n;", "invalid within: " + unknown_n, "invalid within"},
      // base64_decode, base64_data, bsize, urilen
      {"base64_data; content:\"a\";", "invalid base64_data: no preceding base64_decode", "invalid base64_data"},
      {"base64_decode; base64_data:x;", "invalid base64_data: takes no value", "invalid base64_data"},
      {"base64_decode:bytes 0;", "invalid base64_decode: bytes '0' is not a number from 1 to 65535", "invalid base64_decode"},
      {"base64_decode:offset 70000;", "invalid base64_decode: offset '70000' is not a number from 0 to 65535", "invalid base64_decode"},
      {"base64_decode:relative,relative;", "invalid base64_decode: 'relative' given twice", "invalid base64_decode"},
      {"base64_decode:bits 4;", "invalid base64_decode: unknown option 'bits 4'", "invalid base64_decode"},
      {"base64_decode; base64_data; base64_decode;", "invalid base64_decode: cannot decode the base64_data buffer", "invalid base64_decode"},
      {"content:\"a\"; bsize:10;", "invalid bsize: no sticky buffer before it (e.g. base64_data)", "invalid bsize"},
      {"base64_decode; base64_data; bsize:x;", "invalid bsize: 'x' is not a valid value", "invalid bsize"},
      {"http2.header; bsize:10;", "buffer 'http2.header' not supported yet", "buffer 'http2.header' not supported yet", true},
      {"urilen:>10,both;", "invalid urilen: expected N[,raw|norm], got '>10,both'", "invalid urilen"},
      {"urilen:5<>6;", "invalid urilen: '5<>6' can never match", "invalid urilen"},
      // pcre modifiers that select an app-layer buffer without a row, or two buffers
      {"pcre:\"/a/K\";", "buffer 'http.cookie.raw' not supported yet (pcre flag 'K')", "buffer 'http.cookie.raw' not supported yet", true},
      {"pcre:\"/a/UH\";", "invalid pcre: flags name two HTTP buffers", "invalid pcre"},
      {"pcre:\"/a/RJ\";", "invalid pcre: unknown flag 'J'", "invalid pcre"},
  };
}

std::string rule_text(const std::string& options) {
  return "alert tcp any any -> any any (" + options + " sid:5;)";
}

TEST(PayloadKeywordRejections, MessagesAreExact) {
  RuleParser parser(RuleVars::suricata_defaults());
  for (const Rejected& c : rejected_cases()) {
    Result<Rule> r = parser.parse(rule_text(c.options), "local.rules", 1);
    ASSERT_FALSE(r.ok()) << c.options;
    EXPECT_EQ(r.error().describe(), "local.rules:1: sid 5: " + c.message + "; rule skipped")
        << c.options;
  }
}

TEST(PayloadKeywordRejections, ReasonsAndNotSupportedFlagsAreExact) {
  std::vector<Rejected> cases = rejected_cases();
  std::string text;
  for (const Rejected& c : cases) text += rule_text(c.options) + "\n";
  wp::testing::TempDir dir;
  const std::string path = dir.file("local.rules");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  RuleFileResult r = RuleParser(RuleVars::suricata_defaults()).parse_file(path);
  EXPECT_TRUE(r.rules.empty());
  ASSERT_EQ(r.errors.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(r.errors[i].reason, cases[i].reason) << cases[i].options;
    EXPECT_EQ(r.errors[i].not_supported, cases[i].not_supported) << cases[i].options;
  }
}

// ---------------------------------------------------------------------------------------
// What the parser records.

TEST(PayloadKeywordParsing, ByteJumpRecordsEveryOption) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(rule_text("byte_extract:1,0,o; byte_jump:4,o,relative,multiplier 2,little,"
                                  "align,from_beginning,post_offset -3,bitmask 0x0ff0;"),
                        "local.rules", 1);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->payload.size(), 2u);
  const auto& j = std::get<ByteJump>(r->payload[1].match);
  EXPECT_EQ(j.read.nbytes, 4);
  EXPECT_EQ(j.read.offset_var, 0);
  EXPECT_TRUE(j.read.relative);
  EXPECT_TRUE(j.read.little_endian);
  EXPECT_EQ(j.read.base, 0);
  EXPECT_EQ(j.read.bitmask, 0x0ff0u);
  EXPECT_EQ(j.multiplier, 2u);
  EXPECT_TRUE(j.align);
  EXPECT_TRUE(j.from_beginning);
  EXPECT_FALSE(j.from_end);
  EXPECT_EQ(j.post_offset, -3);
  EXPECT_EQ(r->byte_vars, std::vector<std::string>{"o"});
}

TEST(PayloadKeywordParsing, StringWithoutABaseIsDecimal) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(rule_text("byte_test:3,>,0x10,-2,relative,string;"), "local.rules", 1);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const auto& t = std::get<ByteTest>(r->payload[0].match);
  EXPECT_EQ(t.read.base, 10);
  EXPECT_EQ(t.read.offset, -2);
  EXPECT_EQ(t.value, 0x10u);
  EXPECT_EQ(t.op, ByteTest::Op::kGt);
}

TEST(PayloadKeywordParsing, ItemsAfterBase64DataInspectTheDecodedBufferUntilPktData) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(rule_text("content:\"a\"; base64_decode:bytes 8,offset 1,relative; "
                                  "base64_data; content:\"b\"; bsize:>1; pkt_data; content:\"c\";"),
                        "local.rules", 1);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->payload.size(), 5u);
  const BufferId expected[] = {kPktData, kPktData, kBase64Data, kBase64Data,
                             kPktData};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(r->payload[i].buffer, expected[i]) << i;
  const auto& d = std::get<Base64Decode>(r->payload[1].match);
  EXPECT_EQ(d.bytes, 8u);
  EXPECT_EQ(d.offset, 1u);
  EXPECT_TRUE(d.relative);
}

TEST(PayloadKeywordParsing, VariablesResolveToSlotsInDefinitionOrder) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(
      rule_text("byte_extract:1,0,SSL.len; byte_math:bytes 1, offset 1, oper +, rvalue SSL.len, "
                "result sum; content:\"x\"; offset:sum; depth:SSL.len;"),
      "local.rules", 1);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->byte_vars, (std::vector<std::string>{"SSL.len", "sum"}));
  const auto& m = std::get<ByteMath>(r->payload[1].match);
  EXPECT_EQ(m.rvalue_var, 0);
  EXPECT_EQ(m.result_var, 1);
  const auto& c = std::get<ContentMatch>(r->payload[2].match);
  EXPECT_EQ(c.offset_var, 1);
  EXPECT_EQ(c.depth_var, 0);
}

}  // namespace
}  // namespace wp::detect
