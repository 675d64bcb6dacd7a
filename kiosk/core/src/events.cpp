// Event names for logs: the kind of event only, never its contents.
#include "kiosk/core/events.hpp"

namespace shensu::kiosk
{

const char* eventName(const Event& event) noexcept
{
    static constexpr const char* NAMES[] = { "ChooseCitizenCertificate", "ChooseHealthCard",
        "ChooseAnonymous", "ChooseCaseQuery", "SelectQueryField", "QueryKey", "SubmitQuery",
        "SetLanguage", "GoHome", "RetryCard", "ContinueWithCard", "EditField", "ReviewForm",
        "EditAgain", "ConfirmFiling", "PinPadTouched", "ConfirmPin", "AcknowledgeLastAttempt",
        "RetrySubmit", "ConfirmAnonymous", "AskEndSession", "ContinueSession", "Touched",
        "ConfirmNhiPassword", "SetDisplay", "CardInserted", "CardRemoved", "HealthCardRead",
        "CardReadFailed", "CitizenCardReady", "PinRejected", "CitizenCardSigned", "CardService",
        "FilingStored", "FilingStoreFailed", "FilingAccepted", "FilingDeferred",
        "LoginChallengeReady", "LoginChallengeFailed", "CardLoginAccepted", "CardLoginRefused",
        "NhiStatusAnswered", "NhiLoginAnswered", "CaseQueryAnswered", "TimerExpired" };
    static_assert(std::size(NAMES) == std::variant_size_v<Event>);
    return NAMES[event.index()];
}

bool isPersonAction(const Event& event) noexcept
{
    return event.index() <= Event(SetDisplay {}).index();
}

} // namespace shensu::kiosk
