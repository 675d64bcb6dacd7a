// PIN-pad readers (PC/SC part 10) against a fake reader control channel: the virtual reader (vpcd)
// cannot advertise FEATURE_VERIFY_PIN_DIRECT, so a real keypad is mocked here — and only here.
#include "cardio/errors.hpp"
#include "cardio/pin_pad.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace shensu::cardio;

namespace
{

// Answers each control code from a table and records what it was sent.
class FakeReader : public ReaderControl
{
public:
    Bytes features; // answer to CM_IOCTL_GET_FEATURE_REQUEST
    bool partTen = true;
    Bytes verifyAnswer = fromHex("90 00");
    std::vector<std::pair<std::uint32_t, Bytes>> sent;

    Bytes control(std::uint32_t code, const Bytes& in) override
    {
        sent.emplace_back(code, in);
        if (code == CM_IOCTL_GET_FEATURE_REQUEST) {
            if (!partTen) throw CardError(CardErrorCode::REFUSED, "SCardControl", 0);
            return features;
        }
        if (code == 0x42330006) return verifyAnswer;
        throw CardError(CardErrorCode::REFUSED, "unknown control code");
    }
};

} // namespace

TEST_CASE(
    "a reader with a keypad lists FEATURE_VERIFY_PIN_DIRECT with its control code", "[pin-pad]")
{
    FakeReader reader;
    // As a CCID keypad reader answers: VERIFY_PIN_DIRECT (06), MODIFY_PIN_DIRECT (07),
    // IFD_PIN_PROPERTIES (0A).
    reader.features = fromHex("06 04 42 33 00 06  07 04 42 33 00 07  0A 04 42 33 00 0A");
    const PinPadFeatures f = readPinPadFeatures(reader);
    REQUIRE(f.verifyPinDirect.has_value());
    CHECK(*f.verifyPinDirect == 0x42330006u);
    CHECK(f.modifyPinDirect == 0x42330007u);
    REQUIRE(reader.sent.size() == 1);
    CHECK(reader.sent[0].first == 0x42000D48u); // SCARD_CTL_CODE(3400)
}

TEST_CASE("a reader without part 10 or without a keypad has no PIN pad", "[pin-pad]")
{
    FakeReader plain;
    plain.partTen = false;
    CHECK(!readPinPadFeatures(plain).verifyPinDirect);
    FakeReader noKeypad;
    noKeypad.features = fromHex("12 04 42 33 00 12"); // FEATURE_GET_TLV_PROPERTIES only
    CHECK(!readPinPadFeatures(noKeypad).verifyPinDirect);
    CHECK_THROWS_AS(parsePinPadFeatures(fromHex("06 04 42 33")), CardError);
}

TEST_CASE("the PIN_VERIFY_STRUCTURE asks for 6-8 ASCII digits padded to 8 bytes, with the "
          "timeout, and carries the VERIFY without any PIN",
    "[pin-pad]")
{
    PinPadVerify v;
    v.timeoutSeconds = 30;
    const Bytes s = pinVerifyStructure(v);
    CHECK(toHex(s)
        == "1E 1E 82 08 00 08 06 02 01 04 04 00 00 00 00 0D 00 00 00 "
           "00 20 00 80 08 FF FF FF FF FF FF FF FF");
}

TEST_CASE("the keypad's answers: verified, wrong with tries left, blocked, timeout, cancelled, "
          "wrong length",
    "[pin-pad]")
{
    FakeReader reader;
    auto verify = [&](const char* sw) {
        reader.verifyAnswer = fromHex(sw);
        return verifyPinOnReader(reader, 0x42330006u, PinPadVerify {});
    };
    CHECK(verify("90 00").outcome == PinPadOutcome::VERIFIED);
    const auto wrong = verify("63 C2");
    CHECK(wrong.outcome == PinPadOutcome::WRONG_PIN);
    CHECK(wrong.triesLeft == 2);
    CHECK(verify("69 83").outcome == PinPadOutcome::BLOCKED);
    CHECK(verify("63 C0").outcome == PinPadOutcome::BLOCKED);
    CHECK(verify("64 00").outcome == PinPadOutcome::TIMEOUT);
    CHECK(verify("64 01").outcome == PinPadOutcome::CANCELLED);
    CHECK(verify("64 03").outcome == PinPadOutcome::WRONG_LENGTH);
    CHECK_THROWS_AS(verify("6A 80"), CardError);
    CHECK_THROWS_AS(verify("90"), CardError);
    // What went to the reader: the structure only — the kiosk never had a digit to send.
    CHECK(reader.sent.back().second == pinVerifyStructure(PinPadVerify {}));
}

TEST_CASE("the keypad's timeout, cancel and wrong length are three errors of their own, none a "
          "wrong PIN, and the same codes the PKCS#11 path reports",
    "[pin-pad]")
{
    CHECK(errorCodeOf(pinPadResult(0x6400).outcome) == CardErrorCode::PIN_PAD_TIMEOUT);
    CHECK(errorCodeOf(pinPadResult(0x6401).outcome) == CardErrorCode::CANCELLED);
    CHECK(errorCodeOf(pinPadResult(0x6403).outcome) == CardErrorCode::PIN_LEN_RANGE);
    CHECK(errorCodeOf(pinPadResult(0x63C2).outcome) == CardErrorCode::PIN_INCORRECT);
    CHECK(errorCodeOf(pinPadResult(0x6983).outcome) == CardErrorCode::PIN_LOCKED);
    CHECK_THROWS_AS(errorCodeOf(PinPadOutcome::VERIFIED), std::invalid_argument);
}
