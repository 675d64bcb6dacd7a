// Sealing: what a standard CMS peer (the openssl CLI) and central see in a sealed filing.
#include "support.hpp"

#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <type_traits>

using namespace shensu;
using namespace shensu::testing;

namespace
{
network::Sealer kioskSealer()
{
    const auto& pki = pkiDir();
    return network::Sealer(
        pki / "kiosk-device.pem", pki / "kiosk-device.key", pki / "central-encryption.pem");
}

network::EnvelopeOpener centralOpener()
{
    const auto& pki = pkiDir();
    return network::EnvelopeOpener(
        pki / "central-encryption.pem", pki / "central-encryption.key", pki / "kiosk-ca.pem");
}

std::string asString(const network::Bytes& b)
{
    return std::string(b.begin(), b.end());
}
} // namespace

TEST_CASE("the canonical form of a filing has sorted keys and no whitespace", "[protocol]")
{
    const nlohmann::json filing = nlohmann::json::parse(R"({"b":1,"a":{"d":[1,2],"c":"測"}})");
    CHECK(asString(network::protocol::canonicalBytes(filing))
        == R"({"a":{"c":"測","d":[1,2]},"b":1})");
    CHECK_THROWS_AS(
        network::protocol::canonicalBytes(nlohmann::json::array()), network::ProtocolError);
}

TEST_CASE("a sealed filing opens with openssl cms -decrypt and verifies against the kiosk CA and "
          "is the original JSON",
    "[seal]")
{
    TempDir tmp;
    const auto& pki = pkiDir();
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    writeFile(tmp / "sealed.der", asString(kioskSealer().seal(canonical)));

    const auto printed = run({ "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in",
        (tmp / "sealed.der").string() });
    REQUIRE(printed.exitCode == 0);
    CHECK(printed.output.find("id-smime-ct-authEnvelopedData") != std::string::npos);
    CHECK(printed.output.find("aes-256-gcm") != std::string::npos);
    CHECK(printed.output.find("dhSinglePass-stdDH-sha256kdf-scheme") != std::string::npos);
    CHECK(printed.output.find("Z100000001") == std::string::npos); // nothing readable outside

    const auto decrypted = run({ "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in",
        (tmp / "sealed.der").string(), "-recip", (pki / "central-encryption.pem").string(),
        "-inkey", (pki / "central-encryption.key").string(), "-out",
        (tmp / "signed.der").string() });
    REQUIRE(decrypted.exitCode == 0);

    const auto verified = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
        (tmp / "signed.der").string(), "-CAfile", (pki / "kiosk-ca.pem").string(), "-out",
        (tmp / "filing.json").string() });
    INFO(verified.output << verified.errors);
    REQUIRE(verified.exitCode == 0);
    CHECK(readFile(tmp / "filing.json") == asString(canonical));
    CHECK(nlohmann::json::parse(readFile(tmp / "filing.json")) == syntheticFiling());

    SECTION("and a CA other than the kiosk CA refuses it")
    {
        const auto wrongCa = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
            (tmp / "signed.der").string(), "-CAfile", (pki / "rogue-ca.pem").string(), "-out",
            "/dev/null" });
        CHECK(wrongCa.exitCode != 0);
    }
}

TEST_CASE("central opens a sealed filing and names the kiosk that signed it, the opened envelope "
          "is move-only, leaves no plaintext behind when moved, and wipes it",
    "[seal]")
{
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    auto opened = centralOpener().open(kioskSealer().seal(canonical));
    CHECK(opened.content == canonical);
    CHECK(opened.signerCommonNames == std::vector<std::string> { "KIOSK-TEST-01" });

    // The destructor's wipe itself cannot be observed without reading freed memory (UB); what can
    // be: no copy of the plaintext is possible, a move leaves none in the source, and wipe() (the
    // destructor's and the move-assignment's) zeroes it in place.
    static_assert(!std::is_copy_constructible_v<network::OpenedEnvelope>);
    static_assert(!std::is_copy_assignable_v<network::OpenedEnvelope>);
    network::OpenedEnvelope moved(std::move(opened));
    CHECK(opened.content.empty()); // NOLINT(bugprone-use-after-move): that is the point
    CHECK(moved.content == canonical);
    CHECK(moved.signerCommonNames == std::vector<std::string> { "KIOSK-TEST-01" });
    network::OpenedEnvelope assigned;
    assigned = std::move(moved);
    CHECK(moved.content.empty()); // NOLINT(bugprone-use-after-move)
    REQUIRE(assigned.content == canonical);

    assigned.wipe();
    CHECK(assigned.content.size() == canonical.size());
    CHECK(std::all_of(
        assigned.content.begin(), assigned.content.end(), [](unsigned char b) { return b == 0; }));
}

TEST_CASE("a filing sealed with a card signer carries two SignerInfos that openssl cms verifies "
          "against the MOICA CA and the kiosk CA",
    "[seal]")
{
    TempDir tmp;
    const auto& pki = pkiDir();
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    int calls = 0;
    const auto sealed = kioskSealer().seal(
        canonical, softwareCardSigner(pki / "citizen.pem", pki / "citizen.key", &calls));
    CHECK(calls == 1);
    writeFile(tmp / "sealed.der", asString(sealed));
    const auto decrypted = run({ "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in",
        (tmp / "sealed.der").string(), "-recip", (pki / "central-encryption.pem").string(),
        "-inkey", (pki / "central-encryption.key").string(), "-out",
        (tmp / "signed.der").string() });
    REQUIRE(decrypted.exitCode == 0);

    // Both anchors in one CA file; -purpose any: the test MOICA certificate's EKU is clientAuth
    // only (as login needs), which the CLI's default S/MIME purpose would refuse.
    writeFile(tmp / "cas.pem", readFile(pki / "kiosk-ca.pem") + readFile(pki / "moica-ca.pem"));
    const auto verified = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
        (tmp / "signed.der").string(), "-CAfile", (tmp / "cas.pem").string(), "-purpose", "any",
        "-signer", (tmp / "signers.pem").string(), "-out", (tmp / "filing.json").string() });
    INFO(verified.output << verified.errors);
    REQUIRE(verified.exitCode == 0);
    CHECK(readFile(tmp / "filing.json") == asString(canonical));
    const auto signers = readFile(tmp / "signers.pem");
    const auto subjects = run({ "sh", "-c",
        "openssl crl2pkcs7 -nocrl -certfile '" + (tmp / "signers.pem").string()
            + "' | openssl pkcs7 -print_certs -noout" });
    INFO(subjects.output);
    CHECK(subjects.output.find("CN = KIOSK-TEST-01") != std::string::npos);
    CHECK(subjects.output.find("serialNumber = 0000000112345678") != std::string::npos);

    SECTION("the kiosk CA alone does not vouch for the card's signer")
    {
        const auto kioskOnly = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", (tmp / "signed.der").string(), "-CAfile", (pki / "kiosk-ca.pem").string(),
            "-purpose", "any", "-out", "/dev/null" });
        CHECK(kioskOnly.exitCode != 0);
    }
    SECTION("central's opener names the kiosk and hands over the card's certificate")
    {
        const auto opened = centralOpener().open(sealed);
        CHECK(opened.content == canonical);
        CHECK(opened.signerCommonNames == std::vector<std::string> { "KIOSK-TEST-01" });
        REQUIRE(opened.otherSignerCertificates.size() == 1);
        const auto* p = opened.otherSignerCertificates[0].data();
        network::openssl::X509Ptr card(
            d2i_X509(nullptr, &p, static_cast<long>(opened.otherSignerCertificates[0].size())));
        REQUIRE(card);
        CHECK(
            network::openssl::subjectAttribute(card.get(), NID_serialNumber) == "0000000112345678");
    }
}

TEST_CASE("a card signer that fails or signs with another key leaves no envelope", "[seal]")
{
    const auto& pki = pkiDir();
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    SECTION("what the card throws passes through unchanged")
    {
        const network::CardSigner pulled
            = [](std::span<const unsigned char>) -> network::CardSignature {
            throw std::logic_error("card removed");
        };
        CHECK_THROWS_WITH(kioskSealer().seal(canonical, pulled), "card removed");
    }
    SECTION("a signature by another key than the certificate's")
    {
        const auto other = softwareCardSigner(pki / "citizen-mismatch.pem", pki / "citizen.key");
        CHECK_THROWS_AS(kioskSealer().seal(canonical, other), network::SealError);
    }
    SECTION("an empty certificate")
    {
        const network::CardSigner empty = [](std::span<const unsigned char>) {
            return network::CardSignature { network::Bytes(256, 1), {} };
        };
        CHECK_THROWS_AS(kioskSealer().seal(canonical, empty), network::SealError);
    }
}

TEST_CASE(
    "central refuses envelopes that are tampered with or signed outside the kiosk CA", "[seal]")
{
    const auto& pki = pkiDir();
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    auto sealed = kioskSealer().seal(canonical);

    SECTION("one flipped byte in the ciphertext")
    {
        sealed[sealed.size() - 40] ^= 0x01;
        CHECK_THROWS_AS(centralOpener().open(sealed), network::SealError);
    }
    SECTION("signed by a key certified by another CA")
    {
        // The rogue server's key is certified by the rogue CA (EKU serverAuth only): not a kiosk.
        const network::Sealer rogue(
            pki / "rogue-server.pem", pki / "rogue-server.key", pki / "central-encryption.pem");
        CHECK_THROWS_AS(centralOpener().open(rogue.seal(canonical)), network::SealError);
    }
    SECTION("not CMS at all")
    {
        const network::Bytes junk { 1, 2, 3, 4 };
        CHECK_THROWS_AS(centralOpener().open(junk), network::SealError);
    }
}
