// Sealing: what a standard CMS peer (the openssl CLI) and central see in a sealed filing.
#include "support.hpp"

#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <catch2/catch.hpp>

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

TEST_CASE("central opens a sealed filing and names the kiosk that signed it", "[seal]")
{
    const auto canonical = network::protocol::canonicalBytes(syntheticFiling());
    const auto opened = centralOpener().open(kioskSealer().seal(canonical));
    CHECK(opened.content == canonical);
    CHECK(opened.signerCommonNames == std::vector<std::string> { "KIOSK-TEST-01" });
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
