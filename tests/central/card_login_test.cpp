// The one end-to-end card login: a real challenge from central, signed by the simulated citizen
// card through stock OpenSC (pkcs11-tool, opensc-pkcs11.so) and a real pcscd, with the certificate
// read off the card, is accepted by central. This is what proves the card's signature format is
// what central verifies. Runs inside scripts/with-virtual-reader --card citizen, with
// SHENSU_CITIZEN_PKI the PKI both the card and central use.
#include "central.hpp"
#include "forwarder_config.hpp"
#include "process.hpp"

#include <network/auth_client.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace shensu::testing;
namespace net = shensu::network;

namespace
{
constexpr const char* MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

CommandResult pkcs11(std::vector<std::string> args)
{
    args.insert(args.begin(), { "pkcs11-tool", "--module", MODULE });
    CommandResult result = run(args);
    INFO("pkcs11-tool output:\n" << result.output << result.errors);
    return result;
}

// The login through the card in slot 0, as far as central's answer.
net::CardLoginAnswer loginWithCard()
{
    const char* pkiEnv = std::getenv("SHENSU_CITIZEN_PKI");
    REQUIRE(pkiEnv != nullptr);
    const std::filesystem::path pki = pkiEnv;
    TempDir dir;
    // Inside the reader's private network namespace, so central runs here too.
    RunningCentral central(
        pki, dir / "central.db", "central-server", 0, "central-receipt", centralAuthArgs(pki));
    net::CentralAuth auth(kioskForwarderConfig(pki, central.port()));

    const auto challenge = auth.challenge();
    writeFile(dir / "message", net::cardLoginMessage(challenge.challengeId, challenge.nonce));
    REQUIRE(pkcs11({ "--read-object", "--type", "cert", "--id", "01", "-o",
                       (dir / "card.der").string() })
                .exitCode
        == 0);
    REQUIRE(pkcs11({ "--login", "--pin", "123456", "--sign", "--id", "01", "--mechanism",
                       "SHA256-RSA-PKCS", "-i", (dir / "message").string(), "-o",
                       (dir / "signature").string() })
                .exitCode
        == 0);

    const auto answer
        = auth.cardLogin(challenge, readFile(dir / "card.der"), readFile(dir / "signature"));
    INFO("refusal " << net::cardRefusalCode(answer.refusal) << " / " << answer.unavailable.reason);
    if (answer.ok()) {
        // The same card signature does not log in a second time.
        CHECK(auth.cardLogin(challenge, readFile(dir / "card.der"), readFile(dir / "signature"))
                  .refusal
            == net::CardRefusal::CHALLENGE_INVALID);
    }
    return answer;
}
} // namespace

TEST_CASE(
    "a challenge signed by the citizen card through OpenSC logs in at central", "[.][card-e2e]")
{
    const auto answer = loginWithCard();
    REQUIRE(answer.status == net::AuthStatus::OK);
    CHECK(answer.name == "林測試");
    CHECK(answer.agency == "測試市政府人事處");
}

TEST_CASE("a departed holder's card signs through OpenSC and central refuses it as departed",
    "[.][card-e2e-departed]")
{
    const auto answer = loginWithCard();
    CHECK(answer.status == net::AuthStatus::REFUSED);
    CHECK(answer.refusal == net::CardRefusal::DEPARTED);
}
