// Signed receipts: what the kiosk accepts from central before it lets a filing go.
#include "support.hpp"

#include <network/receipt.hpp>

#include <catch2/catch.hpp>

using namespace shensu;
using namespace shensu::testing;

namespace
{
std::span<const unsigned char> bytesOf(const std::string& s)
{
    return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
}

const std::string ENVELOPE = "synthetic envelope bytes";
const std::string KEY = "0b5e7c1a-2222-4333-8444-555566667777";

network::protocol::SubmissionReceipt sampleReceipt()
{
    return { "1151123-0001", "0123456789012347", "2026-11-23T10:51:00Z",
        network::openssl::hex(network::openssl::sha256(bytesOf(ENVELOPE))), KEY, "KIOSK-TEST-01",
        "2026-11-26", "2026-12-23" };
}
} // namespace

TEST_CASE("a receipt signed with central's receipt key for the envelope sent verifies", "[receipt]")
{
    const network::ReceiptSigner signer(
        pkiDir() / "central-receipt.pem", pkiDir() / "central-receipt.key");
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
    const std::string body = network::protocol::toBody(signer.sign(sampleReceipt()));

    const auto receipt = verifier.verify(body, bytesOf(ENVELOPE), KEY);
    CHECK(receipt.caseNumber == "1151123-0001");
    CHECK(receipt.verificationCode == "0123456789012347");
    CHECK(receipt.kioskId == "KIOSK-TEST-01");

    SECTION("and the openssl command line verifies it as central/README.md says")
    {
        const auto signedReceipt = signer.sign(sampleReceipt());
        TempDir tmp;
        writeFile(tmp / "receipt.txt", signedReceipt.receipt);
        writeFile(tmp / "sig.b64", signedReceipt.signature + "\n");
        REQUIRE(run({ "openssl", "base64", "-d", "-in", (tmp / "sig.b64").string(), "-out",
                        (tmp / "sig.der").string() })
                    .exitCode
            == 0);
        const auto pub = run({ "openssl", "x509", "-in",
            (pkiDir() / "central-receipt.pem").string(), "-pubkey", "-noout" });
        writeFile(tmp / "receipt-pub.pem", pub.output);
        const auto verified
            = run({ "openssl", "dgst", "-sha256", "-verify", (tmp / "receipt-pub.pem").string(),
                "-signature", (tmp / "sig.der").string(), (tmp / "receipt.txt").string() });
        INFO(verified.output << verified.errors);
        CHECK(verified.exitCode == 0);
    }
}

TEST_CASE("a receipt is refused when its signature, envelope or Idempotency-Key does not match",
    "[receipt]")
{
    const network::ReceiptSigner signer(
        pkiDir() / "central-receipt.pem", pkiDir() / "central-receipt.key");
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
    const auto signedReceipt = signer.sign(sampleReceipt());
    auto refused = [&](const std::string& body, const std::string& envelope, const std::string& key,
                       const std::string& why) {
        try {
            verifier.verify(body, bytesOf(envelope), key);
        } catch (const network::ReceiptError& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(why) != std::string::npos);
            return true;
        }
        return false;
    };

    SECTION("signed by another key")
    {
        const network::ReceiptSigner rogue(
            pkiDir() / "rogue-server.pem", pkiDir() / "rogue-server.key");
        CHECK(refused(network::protocol::toBody(rogue.sign(sampleReceipt())), ENVELOPE, KEY,
            "signature does not verify"));
    }
    SECTION("one receipt byte changed after signing")
    {
        auto tampered = signedReceipt;
        tampered.receipt.replace(tampered.receipt.find("1151123-0001"), 12, "1151123-0002");
        CHECK(refused(
            network::protocol::toBody(tampered), ENVELOPE, KEY, "signature does not verify"));
    }
    SECTION("a signature that is not base64")
    {
        auto broken = signedReceipt;
        broken.signature = "not base64!";
        CHECK(refused(network::protocol::toBody(broken), ENVELOPE, KEY, "base64"));
    }
    SECTION("an unsigned answer in the old form")
    {
        CHECK(refused(
            network::protocol::receiptBytes(sampleReceipt()), ENVELOPE, KEY, "lacks receipt"));
    }
    SECTION("for another envelope")
    {
        CHECK(refused(
            network::protocol::toBody(signedReceipt), ENVELOPE + "!", KEY, "another envelope"));
    }
    SECTION("for another Idempotency-Key")
    {
        CHECK(refused(network::protocol::toBody(signedReceipt), ENVELOPE,
            "0b5e7c1a-2222-4333-8444-000000000000", "another Idempotency-Key"));
    }
}

TEST_CASE("central's receipt signer refuses a key that is not its certificate's", "[receipt]")
{
    CHECK_THROWS_AS(
        network::ReceiptSigner(pkiDir() / "central-receipt.pem", pkiDir() / "rogue-server.key"),
        network::OpenSslError);
}
