// The simulated citizen card driven by stock OpenSC (pkcs11-tool, opensc-pkcs11.so) through a real
// pcscd: listing, signing, the countdown to a blocked PIN, and what the card itself answers.
#include "cardio/atr.hpp"
#include "cardio/pcsc.hpp"
#include "process.hpp"
#include "virtual_reader.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

using namespace shensu::cardio;
using namespace shensu::cardio::test;
using shensu::testing::CommandResult;
using shensu::testing::readFile;
using shensu::testing::run;
using shensu::testing::TempDir;
using shensu::testing::writeFile;

namespace
{
constexpr const char* MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
constexpr const char* RIGHT_PIN = "123456";
constexpr const char* WRONG_PIN = "000000";

CommandResult pkcs11(std::vector<std::string> args)
{
    args.insert(args.begin(), { "pkcs11-tool", "--module", MODULE });
    CommandResult result = run(args);
    INFO("pkcs11-tool output:\n" << result.output << result.errors);
    return result;
}

CommandResult login(const std::string& pin)
{
    return pkcs11({ "--login", "--pin", pin, "-O" });
}

// The token flags line of `pkcs11-tool -L`.
std::string tokenFlags()
{
    const CommandResult listed = pkcs11({ "-L" });
    REQUIRE(listed.exitCode == 0);
    const auto at = listed.output.find("token flags");
    REQUIRE(at != std::string::npos);
    return listed.output.substr(at, listed.output.find('\n', at) - at);
}

std::filesystem::path citizenPki()
{
    const char* dir = std::getenv("SHENSU_CITIZEN_PKI");
    REQUIRE(dir != nullptr);
    return dir;
}

// The simulator's VERIFY log entries: PIN-carrying ones that spent a try, and all of them.
struct VerifyCount {
    int spending = 0;
    int withPin = 0;
    int total = 0;
};

VerifyCount verifies()
{
    VerifyCount count;
    for (const auto& line : apduLog()) {
        const auto entry = nlohmann::json::parse(line);
        if (entry.value("ins", "") != "VERIFY") continue;
        ++count.total;
        if (entry.at("spending").get<bool>()) ++count.spending;
        if (entry.at("command").get<std::string>().size() > 8) ++count.withPin;
        // The PIN itself never reaches the log.
        CHECK(entry.at("command").get<std::string>().find("313233343536") == std::string::npos);
    }
    return count;
}

ResponseApdu verifyStatus(CardConnection& card)
{
    return card.transmit({ 0x00, 0x20, 0x00, 0x80, {}, std::nullopt });
}

ResponseApdu verifyPin(CardConnection& card, std::string_view pin)
{
    Bytes padded(pin.begin(), pin.end());
    padded.resize(8, 0xFF);
    return card.transmit({ 0x00, 0x20, 0x00, 0x80, padded, std::nullopt });
}
} // namespace

TEST_CASE("OpenSC lists the citizen card as a PIV token named after its holder, with its "
          "certificate",
    "[citizen-sign]")
{
    const CommandResult listed = pkcs11({ "-L" });
    REQUIRE(listed.exitCode == 0);
    CHECK_THAT(listed.output, Catch::Contains("token label        : 林測試"));
    CHECK_THAT(listed.output, Catch::Contains("serial num         : 0000001123456780"));
    const std::string flags = tokenFlags();
    CHECK_THAT(flags, Catch::Contains("login required"));
    CHECK_THAT(flags, Catch::Contains("PIN initialized"));
    CHECK_THAT(flags, !Catch::Contains("final user PIN try"));
    CHECK_THAT(flags, !Catch::Contains("locked"));

    const CommandResult objects = pkcs11({ "-O" });
    REQUIRE(objects.exitCode == 0);
    CHECK_THAT(objects.output, Catch::Contains("Certificate Object; type = X.509 cert"));
    CHECK_THAT(objects.output, Catch::Contains("serialNumber=0000000112345678"));
    CHECK_THAT(objects.output, Catch::Contains("Public Key Object; RSA 2048 bits"));
    CHECK(verifies().spending == 0);
}

namespace
{
// Reads the certificate off the card into dir/card.pem and its public key into dir/pub.pem.
void readCardCertificate(const TempDir& dir)
{
    const CommandResult read = pkcs11(
        { "--read-object", "--type", "cert", "--id", "01", "-o", (dir / "card.der").string() });
    REQUIRE(read.exitCode == 0);
    REQUIRE(run({ "openssl", "x509", "-inform", "DER", "-in", (dir / "card.der").string(), "-out",
                    (dir / "card.pem").string() })
                .exitCode
        == 0);
    REQUIRE(run({ "openssl", "x509", "-in", (dir / "card.pem").string(), "-pubkey", "-noout",
                    "-out", (dir / "pub.pem").string() })
                .exitCode
        == 0);
}

// Logs in, signs a request with SHA256-RSA-PKCS, and checks the signature with dir/pub.pem: it
// verifies for the request and not for another text.
void signAndVerify(const TempDir& dir)
{
    const auto before = verifies();
    writeFile(dir / "request.txt", "login challenge 0001 for KIOSK-TEST-01");
    const CommandResult signedIt
        = pkcs11({ "--login", "--pin", RIGHT_PIN, "--sign", "--mechanism", "SHA256-RSA-PKCS", "-i",
            (dir / "request.txt").string(), "-o", (dir / "sig.bin").string() });
    REQUIRE(signedIt.exitCode == 0);
    CHECK(readFile(dir / "sig.bin").size() == 256);
    const auto after = verifies();
    CHECK(after.spending - before.spending == 1); // one login, one PIN VERIFY; OpenSC adds none

    auto verify = [&](const std::string& file) {
        return run({ "openssl", "dgst", "-sha256", "-verify", (dir / "pub.pem").string(),
            "-signature", (dir / "sig.bin").string(), (dir / file).string() });
    };
    const CommandResult good = verify("request.txt");
    CHECK(good.exitCode == 0);
    CHECK_THAT(good.output, Catch::Contains("Verified OK"));
    writeFile(dir / "other.txt", "login challenge 0002 for KIOSK-TEST-01");
    CHECK(verify("other.txt").exitCode != 0);
}
} // namespace

TEST_CASE("a login with the right PIN signs with the card's key, and the signature verifies with "
          "the certificate read from the card, which chains to the test MOICA CA",
    "[citizen-sign]")
{
    TempDir dir;
    readCardCertificate(dir);
    const CommandResult chain = run({ "openssl", "verify", "-CAfile",
        (citizenPki() / "moica-ca.pem").string(), (dir / "card.pem").string() });
    INFO(chain.output << chain.errors);
    CHECK(chain.exitCode == 0);
    CHECK(readFile(dir / "card.pem") == readFile(citizenPki() / "citizen.pem"));
    signAndVerify(dir);

    // Without a login the key does not sign.
    const CommandResult anonymous = pkcs11({ "--sign", "--mechanism", "SHA256-RSA-PKCS", "-i",
        (dir / "request.txt").string(), "-o", (dir / "sig2.bin").string() });
    CHECK(anonymous.exitCode != 0);
}

TEST_CASE("without --citizen-pki the simulator makes its own key, and the card's self-signed "
          "certificate verifies its signatures",
    "[citizen-own-key]")
{
    REQUIRE(std::getenv("SHENSU_CITIZEN_PKI") == nullptr);
    TempDir dir;
    readCardCertificate(dir);
    const CommandResult subject = run({ "openssl", "x509", "-in", (dir / "card.pem").string(),
        "-noout", "-subject", "-nameopt", "utf8" });
    CHECK_THAT(subject.output, Catch::Contains("CN=林測試, serialNumber=0000000112345678"));
    signAndVerify(dir);
}

TEST_CASE("three wrong PINs block the card: OpenSC shows the final try, then locked, and refuses "
          "the right PIN, the card saw exactly three tries",
    "[citizen-lockout]")
{
    const CommandResult first = login(WRONG_PIN);
    CHECK(first.exitCode != 0);
    CHECK_THAT(first.output + first.errors, Catch::Contains("CKR_PIN_INCORRECT"));
    CHECK_THAT(tokenFlags(), !Catch::Contains("final user PIN try"));

    const CommandResult second = login(WRONG_PIN);
    CHECK_THAT(second.output + second.errors, Catch::Contains("CKR_PIN_INCORRECT"));
    CHECK_THAT(tokenFlags(), Catch::Contains("final user PIN try"));

    const CommandResult third = login(WRONG_PIN);
    CHECK(third.exitCode != 0);
    CHECK_THAT(third.output + third.errors, Catch::Contains("CKR_PIN_LOCKED"));
    CHECK_THAT(tokenFlags(), Catch::Contains("user PIN locked"));

    const CommandResult right = login(RIGHT_PIN);
    CHECK(right.exitCode != 0);
    CHECK_THAT(right.output + right.errors, Catch::Contains("CKR_PIN_LOCKED"));

    const VerifyCount count = verifies();
    CHECK(count.spending == 3);
    CHECK(count.withPin == 4); // the right PIN reached the blocked card and was not counted
}

TEST_CASE("a card with one try left shows the final try, and the right PIN restores its tries",
    "[citizen-1try]")
{
    CHECK_THAT(tokenFlags(), Catch::Contains("final user PIN try"));
    CHECK(login(RIGHT_PIN).exitCode == 0);
    CHECK_THAT(tokenFlags(), !Catch::Contains("final user PIN try"));
    CHECK(verifies().spending == 1);
}

TEST_CASE("a blocked card shows locked and refuses the right PIN without counting a try",
    "[citizen-blocked]")
{
    CHECK_THAT(tokenFlags(), Catch::Contains("user PIN locked"));
    const CommandResult right = login(RIGHT_PIN);
    CHECK(right.exitCode != 0);
    CHECK_THAT(right.output + right.errors, Catch::Contains("CKR_PIN_LOCKED"));
    const VerifyCount count = verifies();
    CHECK(count.spending == 0);
    CHECK(count.total > 0);
}

TEST_CASE("through PC/SC the citizen card answers tries-left queries without spending, and a reset "
          "logs out but keeps the count",
    "[citizen-apdu]")
{
    Context context;
    CardConnection card(context, SLOT0);
    CHECK(identifyCard(card.atr()) == CardKind::CITIZEN_CARD);
    // Nothing is readable before the PIV application is selected; a foreign SELECT fails.
    CHECK(card.transmit({ 0x00, 0xCB, 0x3F, 0xFF, fromHex("5C 01 7E"), 0 }).sw() == 0x6A82);
    CHECK(
        card.transmit({ 0x00, 0xA4, 0x04, 0x00, fromHex("A0 00 00 00 01 01"), 0 }).sw() == 0x6A82);
    const ResponseApdu selected
        = card.transmit({ 0x00, 0xA4, 0x04, 0x00, fromHex("A0 00 00 03 08 00 00 10 00"), 0 });
    REQUIRE(selected.ok());
    CHECK(toHex(selected.data).rfind("61 ", 0) == 0);
    // The certificate object is longer than one response: 61xx and GET RESPONSE hand out all of it.
    const ResponseApdu certificate
        = card.transmit({ 0x00, 0xCB, 0x3F, 0xFF, fromHex("5C 03 5F C1 05"), 0 });
    REQUIRE(certificate.ok());
    CHECK(certificate.data.size() > 256);

    for (int i = 0; i < 5; ++i)
        CHECK(verifyStatus(card).sw() == 0x63C3);
    CHECK(verifies().spending == 0);

    CHECK(verifyPin(card, WRONG_PIN).sw() == 0x63C2);
    CHECK(verifyStatus(card).sw() == 0x63C2);
    CHECK(verifyPin(card, RIGHT_PIN).sw() == 0x9000);
    CHECK(verifyStatus(card).sw() == 0x9000);
    CHECK(verifies().spending == 2);

    card.reconnect(); // warm reset
    CHECK(verifyStatus(card).sw() == 0x63C3);
    CHECK(verifyPin(card, WRONG_PIN).sw() == 0x63C2);
    card.reconnect();
    CHECK(verifyStatus(card).sw() == 0x63C2); // the counter survives the reset
}

TEST_CASE("with the tests' opensc.conf a login does not outlive the program that made it",
    "[citizen-apdu-reset]")
{
    REQUIRE(login(RIGHT_PIN).exitCode == 0);
    Context context;
    CardConnection card(context, SLOT0);
    CHECK(verifyStatus(card).sw() == 0x63C3);
}

namespace
{
// The simulated card of kind `stem` carries DIR/<stem>.{pem,key} of the test PKI: OpenSC names the
// token after the certificate's holder, reads exactly that certificate, and the card signs with
// the matching key. Returns `openssl verify -crl_check` of the certificate read from the card
// against the test MOICA CA and its CRL (what central's check will say about it).
CommandResult cardCarries(const std::string& stem, const std::string& holder)
{
    const CommandResult listed = pkcs11({ "-L" });
    REQUIRE(listed.exitCode == 0);
    CHECK_THAT(listed.output, Catch::Contains("token label        : " + holder));
    TempDir dir;
    readCardCertificate(dir);
    CHECK(readFile(dir / "card.pem") == readFile(citizenPki() / (stem + ".pem")));
    signAndVerify(dir);
    CommandResult verdict = run(
        { "openssl", "verify", "-crl_check", "-CAfile", (citizenPki() / "moica-ca.pem").string(),
            "-CRLfile", (citizenPki() / "moica.crl").string(), (dir / "card.pem").string() });
    INFO(verdict.output << verdict.errors);
    return verdict;
}
} // namespace

TEST_CASE("the expired citizen card carries its expired certificate", "[citizen-expired]")
{
    const auto verdict = cardCarries("citizen-expired", "林過期");
    CHECK(verdict.exitCode != 0);
    CHECK_THAT(verdict.output + verdict.errors, Catch::Contains("certificate has expired"));
}

TEST_CASE("the revoked citizen card carries the certificate the test MOICA CRL lists",
    "[citizen-revoked]")
{
    const auto verdict = cardCarries("citizen-revoked", "林撤銷");
    CHECK(verdict.exitCode != 0);
    CHECK_THAT(verdict.output + verdict.errors, Catch::Contains("certificate revoked"));
}

TEST_CASE("the unknown-person citizen card carries a valid certificate of its own holder",
    "[citizen-unknown-person]")
{
    CHECK(cardCarries("citizen-unknown-person", "林無檔").exitCode == 0);
}

TEST_CASE(
    "the departed citizen card carries a valid certificate of its own holder", "[citizen-departed]")
{
    CHECK(cardCarries("citizen-departed", "林卸職").exitCode == 0);
}

TEST_CASE("the owner-mismatch citizen card carries a valid certificate of its own holder",
    "[citizen-mismatch]")
{
    CHECK(cardCarries("citizen-mismatch", "林不符").exitCode == 0);
}

TEST_CASE("OpenSC cannot parse the corrupt citizen card's certificate: no certificate, no key, "
          "no holder's name",
    "[citizen-corrupt]")
{
    const CommandResult listed = pkcs11({ "-L" });
    REQUIRE(listed.exitCode == 0);
    CHECK_THAT(listed.output, Catch::Contains("token label        : PIV_II"));
    CHECK_THAT(listed.output, !Catch::Contains("林測試"));
    const CommandResult objects = pkcs11({ "-O" });
    CHECK_THAT(objects.output, !Catch::Contains("Certificate Object"));
    CHECK_THAT(objects.output, !Catch::Contains("Key Object"));
    TempDir dir;
    CHECK(pkcs11({ "--read-object", "--type", "cert", "--id", "01", "-o",
                     (dir / "card.der").string() })
              .exitCode
        != 0);
    // What the card hands out raw (the PIV certificate object, read over PC/SC) holds DER that
    // OpenSSL refuses too.
    Context context;
    CardConnection card(context, SLOT0);
    const ResponseApdu object
        = card.transmit({ 0x00, 0xCB, 0x3F, 0xFF, fromHex("5C 03 5F C1 05"), 0 });
    REQUIRE(object.ok());
    // 53 82 LL LL 70 82 LL LL <certificate> 71 01 00 FE 00
    REQUIRE(object.data.size() > 8 + 5);
    const std::string der(object.data.begin() + 8, object.data.end() - 5);
    writeFile(dir / "object.der", der);
    const CommandResult parsed = run(
        { "openssl", "x509", "-inform", "DER", "-in", (dir / "object.der").string(), "-noout" });
    CHECK(parsed.exitCode != 0);
    // Same length as the good certificate: only the contents are garbled.
    CHECK(der.size()
        == run({ "openssl", "x509", "-in", (citizenPki() / "citizen.pem").string(), "-outform",
                   "DER" })
               .output.size());
}
