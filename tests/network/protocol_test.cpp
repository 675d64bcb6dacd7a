// The protocol's verification codes: what a kiosk can check about a typed code before asking
// central.
#include <network/protocol.hpp>

#include <catch2/catch.hpp>

namespace proto = shensu::network::protocol;

TEST_CASE("the verification code check digit is Luhn's", "[protocol]")
{
    // The textbook example (ISO/IEC 7812-1): 7992739871 has check digit 3.
    CHECK(proto::verificationCodeCheckDigit("7992739871") == '3');
    CHECK(proto::verificationCodeCheckDigit("012345678901234") == '7');
    CHECK(proto::verificationCodeCheckDigit("000000000000000") == '0');
    CHECK_THROWS_AS(proto::verificationCodeCheckDigit(""), shensu::network::ProtocolError);
    CHECK_THROWS_AS(proto::verificationCodeCheckDigit("12a4"), shensu::network::ProtocolError);
}

TEST_CASE("a well-formed verification code has 16 digits and a matching check digit", "[protocol]")
{
    CHECK(proto::isWellFormedVerificationCode("0123456789012347"));
    CHECK_FALSE(proto::isWellFormedVerificationCode("0123456789012345")); // wrong check digit
    CHECK_FALSE(proto::isWellFormedVerificationCode("012345678901234")); // 15 digits
    CHECK_FALSE(proto::isWellFormedVerificationCode("01234567890123470")); // 17 digits
    CHECK_FALSE(proto::isWellFormedVerificationCode("0123 56789012347"));
    CHECK_FALSE(proto::isWellFormedVerificationCode(""));

    SECTION("every single-digit typo is caught")
    {
        const std::string code = "0123456789012347";
        for (std::size_t i = 0; i < code.size(); ++i) {
            for (char d = '0'; d <= '9'; ++d) {
                if (d == code[i]) continue;
                std::string typo = code;
                typo[i] = d;
                INFO(typo);
                CHECK_FALSE(proto::isWellFormedVerificationCode(typo));
            }
        }
    }
    SECTION("swapping two adjacent different digits is caught, except 0 and 9")
    {
        const std::string code = "0123456789012347";
        for (std::size_t i = 0; i + 1 < code.size(); ++i) {
            if (code[i] == code[i + 1]) continue;
            std::string swapped = code;
            std::swap(swapped[i], swapped[i + 1]);
            const bool zeroNine
                = (code[i] == '0' && code[i + 1] == '9') || (code[i] == '9' && code[i + 1] == '0');
            INFO(swapped);
            CHECK(proto::isWellFormedVerificationCode(swapped) == zeroNine);
        }
    }
}

TEST_CASE("a heartbeat carries health only", "[protocol]")
{
    proto::Heartbeat h { "1.0.0", 3, 120, { { "Generic Reader 00 00", "card" } } };
    const auto parsed = proto::parseHeartbeat(proto::heartbeatBody(h));
    CHECK(parsed.version == "1.0.0");
    CHECK(parsed.outboxDepth == 3);
    CHECK(parsed.oldestOutboxAgeSeconds == 120);
    REQUIRE(parsed.readers.size() == 1);
    CHECK(parsed.readers[0].state == "card");
    CHECK(parsed.heldFilings == 0);
    h.heldFilings = 2;
    CHECK(proto::parseHeartbeat(proto::heartbeatBody(h)).heldFilings == 2);
    // A heartbeat from a kiosk before held filings: none held.
    CHECK(proto::parseHeartbeat(R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0})")
              .heldFilings
        == 0);

    using shensu::network::ProtocolError;
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"idNumber":"Z100000001"})"),
        ProtocolError);
    CHECK_THROWS_AS(
        proto::parseHeartbeat(R"({"version":"1","outboxDepth":-1,"oldestOutboxAgeSeconds":0})"),
        ProtocolError);
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"heldFilings":"1"})"),
        ProtocolError);
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"readers":[{"name":"r","state":"card","holder":"林測試"}]})"),
        ProtocolError);
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"readers":[{"name":"r","state":"inserted"}]})"),
        ProtocolError);
    CHECK_THROWS_AS(proto::parseHeartbeat("[]"), ProtocolError);
    // Free text could carry a name or an ID: versions and reader names have narrow alphabets.
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1 林測試 Z100000001","outboxDepth":0,"oldestOutboxAgeSeconds":0})"),
        ProtocolError);
    CHECK_THROWS_AS(
        proto::parseHeartbeat(
            R"({"version":"1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"readers":[{"name":"林測試的讀卡機","state":"card"}]})"),
        ProtocolError);
    CHECK(proto::parseHeartbeat(
              R"({"version":"1.2.3+deb12u1~rc-1","outboxDepth":0,"oldestOutboxAgeSeconds":0})")
              .version
        == "1.2.3+deb12u1~rc-1");
}
