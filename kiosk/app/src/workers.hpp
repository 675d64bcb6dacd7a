// The two worker threads: the card worker (PC/SC) and the network worker (sealing, outbox,
// forwarding).
#pragma once

#include "kiosk/app/config.hpp"
#include "kiosk/app/event_queue.hpp"
#include "kiosk/core/commands.hpp"

#include <cardio/pin.hpp>
#include <network/seal.hpp> // CardSigner

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

namespace shensu::kiosk::app
{

// The PKCS#11 side of the card worker: which module, where the failure counts live.
struct CitizenCardSettings {
    std::filesystem::path pkcs11Module;
    std::filesystem::path stateDir;
    // How long the PIN-pad reader waits for the keys (config readerPinTimeoutSeconds). PKCS#11 has
    // no answer of its own for a keypad timeout (OpenSC answers CKR_FUNCTION_CANCELED for both): a
    // cancelled keypad login that lasted this long is taken as the timeout.
    std::chrono::seconds readerPinTimeout { 30 };
};

// Owns the reader monitor and talks to cards on its own thread (PC/SC and every PKCS#11 call);
// posts card events.
class CardWorker
{
public:
    CardWorker(EventQueue& queue, CitizenCardSettings citizen);
    ~CardWorker();
    CardWorker(const CardWorker&) = delete;
    CardWorker& operator=(const CardWorker&) = delete;

    void read(const std::string& reader); // -> HealthCardRead | CardReadFailed
    void readCitizen(const std::string& reader); // -> CitizenCardReady | CardReadFailed
    // Takes the PIN from handoff() (put there by the UI thread just before), logs in once, signs
    // cardLoginMessage(challengeId, nonce) -> CitizenCardSigned | PinRejected | CardReadFailed.
    // onReaderPinPad: no PIN from the handoff; the module has the person type it on the reader.
    // Before the PIN is taken, the card in the reader must be the one readCitizen read (token
    // serial and the monitor's insert count); else the PIN is wiped ->
    // CardReadFailed{CARD_REMOVED}.
    void loginAndSign(const LoginWithCitizenCard& login);
    // The one slot from the PIN pad to this worker. put() on the UI thread, clear() on ForgetPin.
    cardio::PinHandoff& handoff() noexcept;
    // A card signer for network::Forwarder::store (issue 5), called on the network worker's thread:
    // each call runs one job on this thread and waits for it. The job checks the card is the
    // login's (token serial, insert count), takes the PIN from handoff(), C_Login + C_Sign of the
    // bytes + C_Logout. A wrong PIN, a blocked, pulled or other card: the job posts PinRejected /
    // CardReadFailed itself and the signer throws CardSignAborted (nothing is sealed or stored).
    network::CardSigner filingSigner(const SignAndStoreFiling& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// What a filingSigner() throws when the card did not sign; the card worker already posted why.
class CardSignAborted : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Owns the forwarder (when the config has a network part); store() runs on its thread, never the
// UI's.
class NetworkWorker
{
public:
    NetworkWorker(EventQueue& queue, const KioskConfig& config);
    ~NetworkWorker();
    NetworkWorker(const NetworkWorker&) = delete;
    NetworkWorker& operator=(const NetworkWorker&) = delete;

    // SEAM(auth): with network/auth_client.hpp merged these call CentralAuth; until then a local
    // challenge lets the card part run and the verification answers "unavailable".
    void requestChallenge(); // -> LoginChallengeReady | LoginChallengeFailed
    void verifyCardLogin(std::string challengeId, std::string certificateDer,
        std::string signature); // -> CardLoginAccepted | CardLoginRefused
    // Takes the registration password from passwordHandoff() (put there by the UI thread just
    // before), asks central once (CentralAuth::nhiLogin) and wipes it -> NhiLoginAnswered. No
    // password in the handoff (the session ended first): nothing is sent.
    // `generation` (LoginWithNhiPassword::generation) must match the handoff's and is echoed in
    // the answer.
    void nhiLogin(std::string cardNumber, std::uint64_t generation);
    // Asks central once for the health card's state before any password (CentralAuth::nhiStatus)
    // -> NhiStatusAnswered. Never retried: unreachable is "unavailable".
    void nhiStatus(std::string cardNumber, std::uint64_t generation);
    // The one slot from the password screen to this worker. put() on the UI thread, clear() on
    // ForgetPin.
    cardio::NhiPasswordHandoff& passwordHandoff() noexcept;
    void store(nlohmann::json
            filing); // -> FilingStored | FilingStoreFailed, later FilingAccepted | FilingDeferred
    // POST /v1/cases/status -> CaseQueryAnswered (UNAVAILABLE without a network part).
    void queryCaseStatus(QueryCaseStatus query);
    // Seals with the card's signature beside the device key's, then stores (-> FilingStored |
    // FilingStoreFailed; nothing when the card did not sign: CardSignAborted). forgetPin runs
    // after the attempt, whatever happened (the PIN handoff emptied).
    void storeSigned(
        nlohmann::json filing, network::CardSigner signer, std::function<void()> forgetPin);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::kiosk::app
