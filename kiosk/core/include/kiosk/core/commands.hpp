// What the core asks the workers to do; their answers come back as events.
#pragma once

#include "kiosk/core/events.hpp"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace shensu::kiosk
{

// Card worker: read the health card in this reader -> HealthCardRead | CardReadFailed.
struct ReadHealthCard {
    std::string reader;
};
// Card worker: find the citizen card's token and read its PIN tries (no try spent) ->
// CitizenCardReady | CardReadFailed.
struct ReadCitizenCard {
    std::string reader;
};
// Network worker: ask central for a login challenge -> LoginChallengeReady | LoginChallengeFailed.
struct RequestLoginChallenge {
};
// App then card worker: the app moves the PIN pad's digits into the one-slot PIN handoff, the
// card worker takes them, C_Login (one try), signs cardLoginMessage(challengeId, nonce), logs out
// -> CitizenCardSigned | PinRejected | CardReadFailed.
struct LoginWithCitizenCard {
    std::string reader;
    std::string challengeId;
    std::string nonce;
    bool onReaderPinPad = false; // no PIN from the kiosk: the person types it on the reader
    // The card whose tries were read (CitizenCardReady): another card gets no PIN (CARD_REMOVED).
    std::string tokenSerial {};
    std::uint64_t insertion = 0;
};
// App: wipe the PIN pad and the PIN handoff (the PIN screen was left without a card call), and
// likewise the health card's registration password and its handoff.
struct ForgetPin {
};
// Network worker: ask central for the health card's state before any password is asked for (tries
// left, locked, not registered; nothing counted, no password sent) -> NhiStatusAnswered.
struct AskNhiStatus {
    std::string cardNumber;
    // Echoed in the answer: an answer for an earlier session's card (a slow central, the card
    // swapped meanwhile) is never taken for this one's.
    std::uint64_t generation = 0;
};
// App then network worker: the app moves the typed registration password into the one-slot
// password handoff, the network worker takes it, calls central once (network::CentralAuth::
// nhiLogin) and wipes it -> NhiLoginAnswered.
struct LoginWithNhiPassword {
    std::string cardNumber;
    std::uint64_t generation = 0; // State::nhiLoginGeneration: ties the handoff and the answer
};
// Network worker: central checks the card's proof -> CardLoginAccepted | CardLoginRefused.
struct VerifyCardLogin {
    std::string challengeId;
    std::string certificateDer;
    std::string signature;
};
// Network worker: seal and store durably -> FilingStored | FilingStoreFailed, later FilingAccepted
// | FilingDeferred.
struct StoreFiling {
    nlohmann::json filing;
};
// Network worker: POST /v1/cases/status -> CaseQueryAnswered{queryId}. The code has passed
// protocol::isWellFormedVerificationCode; caseNumber is "1151123-0001".
struct QueryCaseStatus {
    std::uint64_t queryId = 0;
    std::string caseNumber;
    std::string verificationCode;
};

// A citizen-certificate filing, after its PIN was entered again (issue 5): the app moves the PIN
// to the card worker's handoff; the network worker seals the filing with a card signer, for which
// the card worker checks that the card is the login's (token serial, insert count), then C_Login +
// C_Sign over the card SignerInfo's attributes + C_Logout (the PIN wiped); only then is the
// filing stored -> FilingStored | FilingStoreFailed, or (nothing sealed, nothing stored)
// PinRejected | CardReadFailed.
struct SignAndStoreFiling {
    nlohmann::json filing;
    std::string reader;
    bool onReaderPinPad = false;
    std::string tokenSerial {};
    std::uint64_t insertion = 0;
};
// App: post TimerExpired{timer, generation} after the delay; a new StartTimer for the same timer
// replaces it.
struct StartTimer {
    TimerId timer = TimerId::SUBMIT_WAIT;
    std::chrono::milliseconds after { 0 };
    std::uint64_t generation = 0;
};

using Command = std::variant<ReadHealthCard, ReadCitizenCard, RequestLoginChallenge,
    LoginWithCitizenCard, ForgetPin, AskNhiStatus, LoginWithNhiPassword, VerifyCardLogin,
    StoreFiling, SignAndStoreFiling, QueryCaseStatus, StartTimer>;

} // namespace shensu::kiosk
