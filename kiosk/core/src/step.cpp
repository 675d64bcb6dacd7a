// The kiosk's behaviour as one pure function: every screen change and every command is decided
// here.
#include "kiosk/core/step.hpp"

#include "kiosk/core/text.hpp"

#include <network/protocol.hpp>

#include <algorithm>
#include <cstring>

namespace shensu::kiosk
{

namespace
{

    using cardio::CardErrorCode;
    using cardio::CardKind;

    // Overwrites the bytes before letting go of them: a finished session leaves no readable copy in
    // this buffer (copies the by-value state made earlier are freed by then; see kiosk/README.md).
    void scrub(std::string& text) noexcept
    {
        explicit_bzero(text.data(), text.size());
        text.clear();
        text.shrink_to_fit();
    }

    void scrubAnswers(State& s) noexcept
    {
        for (auto& [id, value] : s.answers)
            scrub(value);
        s.answers.clear();
    }

    void wipeSession(State& s)
    {
        s.filer = Filer::NONE;
        s.sessionReader.clear();
        scrub(s.cardHolderName);
        scrubAnswers(s);
        s.issues.clear();
        s.cardErrorKey.clear();
        scrub(s.agency);
        s.pinTriesLeft = 0;
        s.lastAttemptAcknowledged = false;
        s.pinMessageKey.clear();
        s.readerPinPad = false;
        s.loginStep = LoginStep::NONE;
        s.challengeId.clear();
        s.challengeNonce.clear();
        s.citizenTokenSerial.clear();
        s.citizenInsertion = 0;
        s.loginRefusalKey.clear();
        scrub(s.healthCardNumber);
        s.nhiTriesLeft = 0;
        s.nhiLastAttemptAcknowledged = false;
        s.nhiMessageKey.clear();
        s.nhiAssertion = nullptr;
        ++s.nhiLoginGeneration; // a health-card answer still on its way finds no login waiting
        s.signingFiling = false;
        s.signCreatedAt.clear();
        s.filingId.clear();
        scrub(s.caseNumber);
        scrub(s.verificationCode);
        for (auto& a : s.earlyAnswers) {
            scrub(a.caseNumber);
            scrub(a.verificationCode);
        }
        s.earlyAnswers.clear();
        s.earlyDeferrals.clear();
        scrub(s.queryCaseNumber);
        scrub(s.queryCode);
        s.queryField = QueryField::CASE_NUMBER;
        s.queryMessageKey.clear();
        s.queryRetryMinutes = 0;
        scrub(s.queryStatus.caseNumber);
        scrub(s.queryStatus.statusText);
        s.queryStatus = {};
        ++s.queryGeneration; // an answer still on its way finds no query waiting
        s.idleCountdown = 0;
        s.confirmingEnd = false;
        ++s.timerGeneration; // any running timer now belongs to a finished session
    }

    // The session is over (finished, timed out, card pulled): wiped, and the kiosk looks as it did
    // for the person before — home, default language, normal display.
    void endSession(State& s, const char* noticeKey)
    {
        wipeSession(s);
        s.screen = Screen::HOME;
        s.noticeKey = noticeKey;
        s.language = s.defaultLanguage;
        s.largeText = false;
        s.highContrast = false;
    }

    bool hasAnswers(const State& s)
    {
        return std::any_of(
            s.answers.begin(), s.answers.end(), [](const auto& a) { return !isBlank(a.second); });
    }

    // The message a person reads for each card failure (ARCHITECTURE: errors are values the user
    // can act on).
    std::string cardErrorKey(CardErrorCode code)
    {
        switch (code) {
        case CardErrorCode::CARD_REMOVED:
        case CardErrorCode::NO_CARD:
            return "card_error.removed";
        case CardErrorCode::UNEXPECTED_RESPONSE:
            return "card_error.unreadable";
        case CardErrorCode::UNSUPPORTED_CARD:
        case CardErrorCode::REFUSED:
            return "card_error.unknown_card";
        case CardErrorCode::SERVICE_UNAVAILABLE:
        case CardErrorCode::NO_READERS:
            return "card_error.no_service";
        case CardErrorCode::MODULE_UNAVAILABLE:
            return "card_error.no_module";
        case CardErrorCode::NO_CERTIFICATE:
            return "card_error.no_certificate";
        case CardErrorCode::PIN_LOCKED:
            return "card_blocked.body";
        case CardErrorCode::PIN_EXPIRED:
            return "card_error.pin_expired";
        case CardErrorCode::PIN_INCORRECT:
        case CardErrorCode::PIN_LEN_RANGE:
        case CardErrorCode::PIN_INVALID:
        case CardErrorCode::CARD_RESET:
        case CardErrorCode::COMMUNICATION_FAILED:
        case CardErrorCode::CANCELLED:
        case CardErrorCode::PIN_PAD_TIMEOUT:
        case CardErrorCode::INTERNAL:
            return "card_error.failed";
        }
        return "card_error.failed";
    }

    // Central's refusals (contract s7-auth) and the kiosk's own: each its own message.
    std::string loginRefusalKey(const std::string& result)
    {
        static constexpr const char* KNOWN[]
            = { "certificate_invalid", "certificate_expired", "certificate_revoked",
                  "not_in_personnel", "departed", "owner_mismatch", "bad_signature",
                  "challenge_invalid", "unreachable", "unreachable_after_card", "unavailable" };
        for (const char* k : KNOWN) {
            if (result == k) return std::string("login_refused.") + k;
        }
        return "login_refused.failed";
    }

    bool identified(Filer filer)
    {
        return filer == Filer::HEALTH_CARD || filer == Filer::CITIZEN_CERT;
    }

    bool isKnownAnswer(const Form& form, const std::string& id)
    {
        return form.fieldOfAnswer(id) != nullptr;
    }

    struct Transition {
        State& s;
        std::vector<Command>& out;

        void startReading(const std::string& reader)
        {
            s.sessionReader = reader;
            s.screen = Screen::READING_CARD;
            out.push_back(ReadHealthCard { reader });
        }

        // A card login: read a card of that kind already in a reader, else ask for one.
        void beginCardLogin(Filer filer)
        {
            s.filer = filer;
            s.cardErrorKey.clear();
            if (!s.cardServiceAvailable) {
                s.cardErrorKey = cardErrorKey(s.cardServiceError);
                s.screen = Screen::CARD_ERROR;
                return;
            }
            const CardKind wanted = wantedKind();
            // Two cards of one kind: whichever the kiosk took, it could be someone else's card left
            // behind (and a PIN typed for one's own card would spend its tries). Ask for one.
            if (cardsOf(wanted) > 1) return severalCards();
            for (const auto& [reader, kind] : s.cards) {
                if (kind != wanted) continue;
                return filer == Filer::CITIZEN_CERT ? startCitizen(reader) : startReading(reader);
            }
            s.screen = Screen::INSERT_CARD;
        }
        CardKind wantedKind() const
        {
            return s.filer == Filer::CITIZEN_CERT ? CardKind::CITIZEN_CARD : CardKind::HEALTH_CARD;
        }
        std::size_t cardsOf(CardKind wanted) const
        {
            return static_cast<std::size_t>(std::count_if(s.cards.begin(), s.cards.end(),
                [wanted](const auto& card) { return card.second == wanted; }));
        }
        void severalCards()
        {
            s.sessionReader.clear();
            s.loginStep = LoginStep::NONE;
            s.cardErrorKey = "card_error.several_cards";
            s.screen = Screen::CARD_ERROR;
        }
        void beginHealthCard() { beginCardLogin(Filer::HEALTH_CARD); }
        void beginCitizen() { beginCardLogin(Filer::CITIZEN_CERT); }

        void startCitizen(const std::string& reader)
        {
            s.sessionReader = reader;
            s.screen = Screen::READING_CARD;
            out.push_back(ReadCitizenCard { reader });
        }
        // Ask for the PIN, or first warn that this try can block the card.
        void askForPin()
        {
            s.loginStep = LoginStep::NONE;
            if (s.pinTriesLeft <= 1 && !s.lastAttemptAcknowledged) {
                s.screen = Screen::PIN_LAST_ATTEMPT;
                return;
            }
            ++s.pinEntryGeneration;
            s.screen = Screen::PIN_ENTRY;
        }
        void showBlocked()
        {
            s.pinTriesLeft = 0;
            s.loginStep = LoginStep::NONE;
            s.screen = Screen::CARD_BLOCKED;
        }
        // Ask for the registration password, or first warn that this try can lock it at central.
        void askForNhiPassword()
        {
            s.loginStep = LoginStep::NONE;
            if (s.nhiTriesLeft == 1 && !s.nhiLastAttemptAcknowledged) {
                s.screen = Screen::NHI_LAST_ATTEMPT;
                return;
            }
            ++s.nhiPasswordGeneration;
            s.screen = Screen::NHI_PASSWORD;
        }
        // The card is being used: a login's C_Login + C_Sign, or a filing's signature.
        bool cardCallPending() const
        {
            return s.loginStep == LoginStep::CARD
                && (s.screen == Screen::CARD_LOGIN
                    || (s.screen == Screen::SUBMITTING && s.signingFiling && s.filingId.empty()));
        }
        bool citizenCardEvent(const std::string& reader) const
        {
            return s.filer == Filer::CITIZEN_CERT && reader == s.sessionReader;
        }

        void operator()(const ChooseCitizenCertificate&)
        {
            if (s.screen != Screen::HOME) return;
            wipeSession(s);
            s.noticeKey.clear();
            beginCitizen();
        }
        void operator()(const PinPadTouched&) { }
        void operator()(const ConfirmPin& e)
        {
            if (s.screen != Screen::PIN_ENTRY) return;
            const bool onScreen = !s.readerPinPad;
            // The pad itself takes no 9th digit, so the upper bound is a guard for other callers
            // (automation, a future pad), not something a person can reach.
            if (onScreen && (e.digits < PIN_MIN_DIGITS || e.digits > PIN_MAX_DIGITS)) {
                s.pinMessageKey = "pin.length";
                return;
            }
            // Never the try that can block the card without the warning read first.
            if (s.pinTriesLeft <= 1 && !s.lastAttemptAcknowledged) {
                s.screen = Screen::PIN_LAST_ATTEMPT;
                return;
            }
            s.pinMessageKey.clear();
            if (s.signingFiling) {
                // One card call signs the filing; sealed and stored only after it.
                s.loginStep = LoginStep::CARD;
                s.filingId.clear();
                s.earlyAnswers.clear();
                s.earlyDeferrals.clear();
                s.screen = Screen::SUBMITTING;
                out.push_back(SignAndStoreFiling { buildFiling(s, s.signCreatedAt), s.sessionReader,
                    s.readerPinPad, s.citizenTokenSerial, s.citizenInsertion });
                return;
            }
            s.loginStep = LoginStep::CHALLENGE;
            s.screen = Screen::CARD_LOGIN;
            out.emplace_back(std::in_place_type<RequestLoginChallenge>);
            out.push_back(
                StartTimer { TimerId::CHALLENGE_WAIT, s.challengeWait, ++s.challengeGeneration });
        }
        void operator()(const ConfirmNhiPassword& e)
        {
            if (s.screen != Screen::NHI_PASSWORD || s.filer != Filer::HEALTH_CARD) return;
            if (e.characters < NHI_PASSWORD_MIN || e.characters > NHI_PASSWORD_MAX) {
                s.nhiMessageKey = "nhi_password.length";
                return;
            }
            // Never the try that can lock the registration without the warning read first.
            if (s.nhiTriesLeft == 1 && !s.nhiLastAttemptAcknowledged) {
                s.screen = Screen::NHI_LAST_ATTEMPT;
                return;
            }
            s.nhiMessageKey.clear();
            s.loginStep = LoginStep::CENTRAL;
            s.screen = Screen::CARD_LOGIN;
            out.push_back(LoginWithNhiPassword { s.healthCardNumber, ++s.nhiLoginGeneration });
        }
        void operator()(const NhiLoginAnswered& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.filer != Filer::HEALTH_CARD
                || s.loginStep != LoginStep::CENTRAL || e.generation != s.nhiLoginGeneration)
                return;
            s.loginStep = LoginStep::NONE;
            if (e.result == "ok") {
                scrub(s.healthCardNumber);
                s.cardHolderName = e.name;
                s.agency = e.agency;
                s.nhiAssertion = e.assertion;
                s.nhiMessageKey.clear();
                s.screen = Screen::CARD_READ;
                return;
            }
            if (e.result == "wrong_password" && e.triesLeft > 0) {
                // Back to the password with the tries left; never a retry on the person's behalf.
                s.nhiTriesLeft = e.triesLeft;
                s.nhiLastAttemptAcknowledged = false;
                s.nhiMessageKey = "nhi_password.wrong";
                return askForNhiPassword();
            }
            if (e.result == "malformed_password") {
                // Said by the kiosk itself, nothing went to central: no try counted.
                s.nhiMessageKey = "nhi_password.malformed";
                return askForNhiPassword();
            }
            if (e.result == "locked" || e.result == "wrong_password") {
                s.nhiTriesLeft = 0;
                s.screen = Screen::NHI_LOCKED;
                return;
            }
            s.loginRefusalKey = e.result == "not_registered" ? "login_refused.nhi_not_registered"
                : e.result == "unavailable"                  ? "login_refused.nhi_unavailable"
                                                             : "login_refused.failed";
            s.screen = Screen::LOGIN_REFUSED;
        }
        void operator()(const AcknowledgeLastAttempt&)
        {
            if (s.screen == Screen::NHI_LAST_ATTEMPT) {
                s.nhiLastAttemptAcknowledged = true;
                return askForNhiPassword();
            }
            if (s.screen != Screen::PIN_LAST_ATTEMPT) return;
            s.lastAttemptAcknowledged = true;
            askForPin();
        }
        void operator()(const ChooseCaseQuery&)
        {
            if (s.screen != Screen::HOME) return;
            wipeSession(s);
            s.noticeKey.clear();
            s.screen = Screen::CASE_QUERY;
        }
        void operator()(const SelectQueryField& e)
        {
            if (s.screen == Screen::CASE_QUERY) s.queryField = e.field;
        }
        void operator()(const QueryKey& e)
        {
            if (s.screen != Screen::CASE_QUERY) return;
            const bool caseNumber = e.field == QueryField::CASE_NUMBER;
            std::string& value = caseNumber ? s.queryCaseNumber : s.queryCode;
            const std::size_t max
                = caseNumber ? CASE_NUMBER_MAX_DIGITS : network::protocol::VERIFICATION_CODE_DIGITS;
            s.queryField = e.field;
            if (e.key >= '0' && e.key <= '9') {
                if (value.size() < max) value += e.key;
            } else if (e.key == '<') {
                if (!value.empty()) value.pop_back();
            } else if (e.key == 'C') {
                scrub(value);
            } else {
                return;
            }
            s.queryMessageKey.clear();
            // The code is full: the next keys most likely go to the other field.
            if (caseNumber && value.size() == max) s.queryField = QueryField::CODE;
        }
        void operator()(const SubmitQuery&)
        {
            if (s.screen != Screen::CASE_QUERY) return;
            s.queryRetryMinutes = 0;
            if (s.queryCaseNumber.size() < CASE_NUMBER_MIN_DIGITS) {
                s.queryMessageKey = "case_query.case_number_incomplete";
                s.queryField = QueryField::CASE_NUMBER;
                return;
            }
            if (s.queryCode.size() != network::protocol::VERIFICATION_CODE_DIGITS) {
                s.queryMessageKey = "case_query.code_incomplete";
                s.queryField = QueryField::CODE;
                return;
            }
            // The check digit catches a mistyped digit or two swapped ones here, before central
            // spends a query of the rate limit on it.
            if (!network::protocol::isWellFormedVerificationCode(s.queryCode)) {
                s.queryMessageKey = "case_query.code_typo";
                s.queryField = QueryField::CODE;
                return;
            }
            s.queryMessageKey.clear();
            s.screen = Screen::CASE_QUERYING;
            out.push_back(QueryCaseStatus {
                ++s.queryGeneration, formatCaseNumber(s.queryCaseNumber), s.queryCode });
        }
        void operator()(const CaseQueryAnswered& e)
        {
            if (s.screen != Screen::CASE_QUERYING || e.queryId != s.queryGeneration) return;
            switch (e.result) {
            case CaseQueryResult::FOUND:
                s.queryStatus = e.status;
                // The code has done its job: it does not stay in memory while the status shows.
                scrub(s.queryCode);
                s.screen = Screen::CASE_STATUS;
                return;
            case CaseQueryResult::NOT_FOUND:
                s.queryMessageKey = "case_query.not_found";
                break;
            case CaseQueryResult::RATE_LIMITED:
                s.queryMessageKey = "case_query.rate_limited";
                // Whatever the event says: 1..60 minutes, no overflow on a huge value.
                s.queryRetryMinutes = (std::clamp(e.retryAfterSeconds, 0, 3600) + 59) / 60;
                s.queryRetryMinutes = std::max(1, s.queryRetryMinutes);
                break;
            case CaseQueryResult::MALFORMED:
                s.queryMessageKey = "case_query.malformed";
                break;
            case CaseQueryResult::UNREACHABLE:
                s.queryMessageKey = "case_query.unreachable";
                break;
            case CaseQueryResult::UNAVAILABLE:
                s.queryMessageKey = "case_query.unavailable";
                break;
            }
            s.screen = Screen::CASE_QUERY; // the digits stay, to correct a typo
        }
        void operator()(const ChooseHealthCard&)
        {
            if (s.screen != Screen::HOME) return;
            wipeSession(s);
            s.noticeKey.clear();
            beginHealthCard();
        }
        void operator()(const ChooseAnonymous&)
        {
            if (s.screen != Screen::HOME) return;
            wipeSession(s);
            s.noticeKey.clear();
            s.filer = Filer::ANONYMOUS;
            s.screen = Screen::ANONYMOUS_INFO; // first: what an anonymous filing is, and is not
        }
        void operator()(const ConfirmAnonymous&)
        {
            if (s.screen == Screen::ANONYMOUS_INFO && s.filer == Filer::ANONYMOUS)
                s.screen = Screen::FORM;
        }
        void operator()(const AskEndSession&)
        {
            if (!inSession(s) || s.screen == Screen::SUBMITTING) return;
            // Answers not yet sent would be lost: ask once. Anything else ends at once.
            const bool unsent = s.screen == Screen::FORM || s.screen == Screen::REVIEW
                || s.screen == Screen::SUBMIT_ERROR;
            if (unsent && hasAnswers(s) && !s.confirmingEnd) {
                s.confirmingEnd = true;
                return;
            }
            endSession(s, "");
        }
        void operator()(const ContinueSession&)
        {
            s.confirmingEnd = false;
            s.idleCountdown = 0;
        }
        void operator()(const Touched&) { } // only the idle clock, below
        void operator()(const SetDisplay& e)
        {
            s.largeText = e.largeText;
            s.highContrast = e.highContrast;
        }
        void operator()(const SetLanguage& e) { s.language = e.language; }
        void operator()(const GoHome&)
        {
            if (s.screen == Screen::SUBMITTING)
                return; // the filing is being stored; its outcome must be shown
            endSession(s, "");
        }
        void operator()(const RetryCard&)
        {
            if (s.screen != Screen::CARD_ERROR) return;
            s.sessionReader.clear();
            if (s.filer == Filer::CITIZEN_CERT) {
                beginCitizen();
            } else {
                beginHealthCard();
            }
            // (Still two cards: the question stays, it goes on by itself once one is out.)
            if (s.screen == Screen::CARD_ERROR && s.cardServiceAvailable
                && s.cardErrorKey != "card_error.several_cards")
                s.screen = Screen::INSERT_CARD;
        }
        void operator()(const ContinueWithCard&)
        {
            if (s.screen != Screen::CARD_READ) return;
            for (const auto& f : s.form->fields) {
                if (f.prefillFromCard && isBlank(s.answers[f.id]))
                    s.answers[f.id] = s.cardHolderName;
            }
            // The agency central knows for a citizen-certificate login (服務機關).
            if (!s.agency.empty() && s.form->field("agency") != nullptr
                && isBlank(s.answers["agency"]))
                s.answers["agency"] = s.agency;
            s.screen = Screen::FORM;
        }
        void operator()(const EditField& e)
        {
            if (s.screen != Screen::FORM || !isKnownAnswer(*s.form, e.field)) return;
            s.answers[e.field] = e.value;
            // Fewer items in a group: the answers of the items that went are wiped.
            if (const FormField* f = s.form->field(e.field);
                f != nullptr && f->type == FieldType::GROUP) {
                const std::size_t items = groupItems(*f, e.value);
                for (auto it = s.answers.begin(); it != s.answers.end();) {
                    const std::string head = f->id + ".";
                    if (it->first.rfind(head, 0) == 0
                        && std::stoul(it->first.substr(head.size())) >= items) {
                        scrub(it->second);
                        it = s.answers.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            // The message about a field goes away as soon as the person changes it.
            std::erase_if(s.issues, [&](const ValidationIssue& i) { return i.field == e.field; });
        }
        void operator()(const ReviewForm&)
        {
            if (s.screen != Screen::FORM) return;
            s.issues = validate(*s.form, s.answers, identified(s.filer));
            if (s.issues.empty()) s.screen = Screen::REVIEW;
        }
        void operator()(const EditAgain&)
        {
            if (s.screen == Screen::REVIEW) s.screen = Screen::FORM;
        }
        void operator()(const ConfirmFiling& e)
        {
            if (s.screen != Screen::REVIEW) return;
            // Validated again: the answers must never leave the kiosk unchecked.
            s.issues = validate(*s.form, s.answers, identified(s.filer));
            if (!s.issues.empty()) {
                s.screen = Screen::FORM;
                return;
            }
            if (s.filer == Filer::CITIZEN_CERT) {
                // The PIN is not kept after login: the same card is read again (tries, token
                // serial), then the PIN asked again to sign this filing.
                s.signingFiling = true;
                s.signCreatedAt = e.createdAt;
                s.pinMessageKey.clear();
                s.lastAttemptAcknowledged = false;
                s.loginStep = LoginStep::NONE;
                s.screen = Screen::READING_CARD;
                out.push_back(ReadCitizenCard { s.sessionReader });
                return;
            }
            s.filingId.clear();
            s.earlyAnswers.clear();
            s.earlyDeferrals.clear();
            s.screen = Screen::SUBMITTING;
            out.push_back(StoreFiling { buildFiling(s, e.createdAt) });
        }
        void operator()(const RetrySubmit&)
        {
            if (s.screen == Screen::SUBMIT_ERROR) s.screen = Screen::REVIEW;
        }

        void operator()(const CardInserted& e)
        {
            s.cards[e.reader] = e.kind;
            // Another card of the kind being logged in with, before any PIN went to the card: which
            // one is meant is no longer clear (the PIN would only ever go to the card read).
            // Likewise the health card's registration password, before it went to central: the
            // screen closes and the typed password is forgotten.
            const bool beforeAnyPin = s.screen == Screen::READING_CARD
                || s.screen == Screen::PIN_ENTRY || s.screen == Screen::PIN_LAST_ATTEMPT
                || s.screen == Screen::NHI_PASSWORD || s.screen == Screen::NHI_LAST_ATTEMPT;
            if (beforeAnyPin && s.filer != Filer::NONE && s.filer != Filer::ANONYMOUS
                && e.kind == wantedKind() && e.reader != s.sessionReader)
                return severalCards(); // leaving the pad or password screen sends ForgetPin
            if (s.screen != Screen::INSERT_CARD) return;
            if (s.filer == Filer::CITIZEN_CERT) {
                if (e.kind == CardKind::CITIZEN_CARD) return startCitizen(e.reader);
                s.cardErrorKey = "card_error.not_citizen_card";
                s.screen = Screen::CARD_ERROR;
                return;
            }
            if (s.filer != Filer::HEALTH_CARD) return;
            if (e.kind == CardKind::HEALTH_CARD) return startReading(e.reader);
            s.cardErrorKey = "card_error.unknown_card";
            s.screen = Screen::CARD_ERROR;
        }
        void operator()(const CardRemoved& e)
        {
            s.cards.erase(e.reader);
            // Asked to leave only one card in, and now there is one: go on with it.
            if (s.screen == Screen::CARD_ERROR && s.cardErrorKey == "card_error.several_cards") {
                if (cardsOf(wantedKind()) <= 1) beginCardLogin(s.filer);
                return;
            }
            if (citizenCardEvent(e.reader)) return citizenCardRemoved();
            if (s.filer != Filer::HEALTH_CARD || e.reader != s.sessionReader) return;
            switch (s.screen) {
            case Screen::READING_CARD:
                s.sessionReader.clear();
                s.cardErrorKey = "card_error.removed";
                s.screen = Screen::CARD_ERROR;
                break;
            case Screen::CARD_ERROR:
                // A read that broke off and then the card gone: it was pulled mid-read, say so.
                if (s.cardErrorKey == "card_error.failed") s.cardErrorKey = "card_error.removed";
                s.sessionReader.clear();
                break;
            case Screen::NHI_PASSWORD:
            case Screen::NHI_LAST_ATTEMPT:
            case Screen::NHI_LOCKED:
            case Screen::CARD_LOGIN:
            case Screen::LOGIN_REFUSED:
            case Screen::CARD_READ:
            case Screen::FORM:
            case Screen::REVIEW:
            case Screen::SUBMIT_ERROR:
                // The card is the session: without it nobody may see or finish this filing.
                endSession(s, "home.card_removed");
                break;
            default:
                // The filing already left the person's hands (submitting, submitted, queued): keep
                // the receipt.
                s.sessionReader.clear();
                s.cardHolderName.clear();
                break;
            }
        }
        // The citizen card is the session at every step: without it, it ends and is wiped.
        void citizenCardRemoved()
        {
            if (cardCallPending() && s.signingFiling) {
                // The card call decides: signed before the pull (FilingStored) or not
                // (CardReadFailed: the session ends, nothing stored).
                return;
            }
            switch (s.screen) {
            case Screen::SUBMITTING:
            case Screen::SUBMITTED:
            case Screen::QUEUED:
                s.sessionReader.clear();
                s.cardHolderName.clear();
                s.agency.clear();
                return;
            default:
                // Also from card_error: a login the pull broke off ends here, not on a retry.
                wipeSession(s);
                s.noticeKey = "home.citizen_card_removed";
                s.screen = Screen::HOME;
                return;
            }
        }
        void operator()(const CitizenCardReady& e)
        {
            if (s.screen != Screen::READING_CARD || !citizenCardEvent(e.reader)) return;
            if (s.signingFiling
                && (e.tokenSerial != s.citizenTokenSerial || e.insertion != s.citizenInsertion))
                return endSession(s, "home.sign_other_card"); // not the card that logged in
            if (e.blocked) return showBlocked();
            s.pinTriesLeft = e.triesLeft;
            s.readerPinPad = e.readerPinPad;
            s.citizenTokenSerial = e.tokenSerial;
            s.citizenInsertion = e.insertion;
            s.lastAttemptAcknowledged = false;
            s.pinMessageKey.clear();
            askForPin();
        }
        void operator()(const PinRejected& e)
        {
            if (!cardCallPending() || !citizenCardEvent(e.reader)) return;
            if (e.blocked || e.triesLeft <= 0) return showBlocked();
            // Back to the pad with the tries left; never a retry on the person's behalf.
            s.pinTriesLeft = e.triesLeft;
            s.lastAttemptAcknowledged = false;
            s.pinMessageKey = "pin.wrong";
            askForPin();
        }
        void operator()(const CitizenCardSigned& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.loginStep != LoginStep::CARD
                || !citizenCardEvent(e.reader))
                return;
            s.loginStep = LoginStep::CENTRAL;
            s.pinMessageKey.clear();
            out.push_back(VerifyCardLogin { s.challengeId, e.certificateDer, e.signature });
        }
        void operator()(const LoginChallengeReady& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.loginStep != LoginStep::CHALLENGE) return;
            s.challengeId = e.challengeId;
            s.challengeNonce = e.nonce;
            s.loginStep = LoginStep::CARD;
            out.push_back(LoginWithCitizenCard { s.sessionReader, e.challengeId, e.nonce,
                s.readerPinPad, s.citizenTokenSerial, s.citizenInsertion });
        }
        void operator()(const LoginChallengeFailed& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.loginStep != LoginStep::CHALLENGE) return;
            // No PIN went to the card: the person may try again later with all tries intact.
            s.loginStep = LoginStep::NONE;
            s.loginRefusalKey
                = e.notConfigured ? "login_refused.unavailable" : "login_refused.unreachable";
            s.screen = Screen::LOGIN_REFUSED;
        }
        void operator()(const CardLoginAccepted& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.loginStep != LoginStep::CENTRAL) return;
            s.loginStep = LoginStep::NONE;
            s.challengeId.clear();
            s.challengeNonce.clear();
            s.cardHolderName = e.name;
            s.agency = e.agency;
            s.screen = Screen::CARD_READ;
        }
        void operator()(const CardLoginRefused& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.loginStep != LoginStep::CENTRAL) return;
            s.loginStep = LoginStep::NONE;
            s.challengeId.clear();
            s.challengeNonce.clear();
            s.loginRefusalKey = loginRefusalKey(e.result);
            s.screen = Screen::LOGIN_REFUSED;
        }
        // The card identifies; the registration password, checked by central, authenticates.
        void operator()(const HealthCardRead& e)
        {
            if (s.screen != Screen::READING_CARD || e.reader != s.sessionReader
                || s.filer != Filer::HEALTH_CARD)
                return;
            s.cardHolderName = e.name;
            s.healthCardNumber = e.cardNumber;
            s.nhiTriesLeft = 0;
            s.nhiLastAttemptAcknowledged = false;
            s.nhiMessageKey.clear();
            // Warn before the try that could lock the card: central says first how many tries
            // this card has left (failures from an earlier visit count), locked or not
            // registered. No password screen until it has answered.
            s.loginStep = LoginStep::NHI_STATUS;
            s.screen = Screen::CARD_LOGIN;
            out.push_back(AskNhiStatus { s.healthCardNumber, ++s.nhiStatusGeneration });
        }
        void operator()(const NhiStatusAnswered& e)
        {
            if (s.screen != Screen::CARD_LOGIN || s.filer != Filer::HEALTH_CARD
                || s.loginStep != LoginStep::NHI_STATUS || e.generation != s.nhiStatusGeneration)
                return;
            s.loginStep = LoginStep::NONE;
            if (e.result == "ok" && e.triesLeft > 0) {
                s.nhiTriesLeft = e.triesLeft;
                s.nhiLastAttemptAcknowledged = false;
                return askForNhiPassword(); // the last-attempt warning first when triesLeft == 1
            }
            if (e.result == "locked") {
                s.nhiTriesLeft = 0;
                s.screen = Screen::NHI_LOCKED;
                return;
            }
            s.loginRefusalKey = e.result == "not_registered" ? "login_refused.nhi_not_registered"
                                                             : "login_refused.nhi_unavailable";
            s.screen = Screen::LOGIN_REFUSED;
        }
        void operator()(const CardReadFailed& e)
        {
            const bool loggingIn = cardCallPending();
            if (s.screen != Screen::READING_CARD && !loggingIn) return;
            if (s.signingFiling && loggingIn
                && (e.code == CardErrorCode::CARD_REMOVED || e.code == CardErrorCode::NO_CARD
                    || e.code == CardErrorCode::CARD_RESET))
                // Pulled or swapped before the signature: nothing sealed, nothing stored.
                return endSession(s, "home.citizen_card_removed");
            if (e.code == CardErrorCode::PIN_LOCKED) return showBlocked();
            if (loggingIn && e.code == CardErrorCode::PIN_LEN_RANGE) {
                // The card (or the reader's keypad) takes no PIN of that length; no try was spent.
                s.pinMessageKey = s.readerPinPad ? "pin.reader_length" : "pin.length";
                return askForPin();
            }
            if (loggingIn && e.code == CardErrorCode::PIN_INVALID) {
                // Characters the card does not take: not a wrong PIN, no try counted.
                s.pinMessageKey = "pin.invalid";
                return askForPin();
            }
            if (loggingIn && s.readerPinPad && e.code == CardErrorCode::CANCELLED) {
                // Cancelled on the reader's keypad: nothing was verified, no try counted.
                s.pinMessageKey = "pin.reader_cancelled";
                return askForPin();
            }
            if (loggingIn && s.readerPinPad && e.code == CardErrorCode::PIN_PAD_TIMEOUT) {
                // Nobody typed in time on the reader: nothing was verified, no try counted.
                s.pinMessageKey = "pin.reader_timeout";
                return askForPin();
            }
            s.loginStep = LoginStep::NONE;
            if (s.signingFiling && loggingIn) {
                // The card could not sign: nothing was stored; 再試一次 goes back to the review.
                s.screen = Screen::SUBMIT_ERROR;
                return;
            }
            s.cardErrorKey = cardErrorKey(e.code);
            s.screen = Screen::CARD_ERROR;
        }
        void operator()(const CardService& e)
        {
            s.cardServiceAvailable = e.available;
            s.cardServiceError = e.code;
            if (e.available) return;
            s.cards.clear();
            if (s.screen == Screen::INSERT_CARD || s.screen == Screen::READING_CARD
                || s.screen == Screen::PIN_ENTRY || s.screen == Screen::PIN_LAST_ATTEMPT
                || (s.screen == Screen::CARD_LOGIN && s.loginStep != LoginStep::CENTRAL
                    && s.loginStep != LoginStep::NHI_STATUS)) {
                s.loginStep = LoginStep::NONE;
                // The reader went with the service: its card's removal, reported next, is not
                // "the card was pulled" (that message would hide this one).
                s.sessionReader.clear();
                s.cardErrorKey = cardErrorKey(e.code);
                s.screen = Screen::CARD_ERROR;
            }
        }

        void operator()(const FilingStored& e)
        {
            if (s.screen != Screen::SUBMITTING || !s.filingId.empty()) return;
            s.filingId = e.filingId;
            // A leased number is final already: "queued" shows it (central's receipt will carry
            // the same, network/forwarder.cpp checks).
            s.caseNumber = e.caseNumber;
            s.verificationCode = e.verificationCode;
            s.loginStep = LoginStep::NONE;
            // Sealed and on disk: the plaintext answers have no reason to stay in memory.
            scrubAnswers(s);
            s.issues.clear();
            scrub(s.cardHolderName);
            scrub(s.agency);
            s.nhiAssertion = nullptr;
            for (const auto& a : s.earlyAnswers) {
                if (a.filingId == e.filingId) return (*this)(a);
            }
            if (std::find(s.earlyDeferrals.begin(), s.earlyDeferrals.end(), e.filingId)
                != s.earlyDeferrals.end()) {
                s.screen = Screen::QUEUED;
                return;
            }
            out.push_back(StartTimer { TimerId::SUBMIT_WAIT, s.submitWait, ++s.timerGeneration });
        }
        void operator()(const FilingStoreFailed&)
        {
            if (s.screen == Screen::SUBMITTING && s.filingId.empty()) {
                s.loginStep = LoginStep::NONE;
                s.screen = Screen::SUBMIT_ERROR;
            }
        }
        void operator()(const FilingAccepted& e)
        {
            if (s.screen == Screen::SUBMITTING && s.filingId.empty()) {
                s.earlyAnswers.push_back(e); // may be ours; FilingStored will tell
                return;
            }
            if ((s.screen != Screen::SUBMITTING && s.screen != Screen::QUEUED)
                || e.filingId != s.filingId)
                return;
            s.caseNumber = e.caseNumber;
            s.verificationCode = e.verificationCode;
            s.screen = Screen::SUBMITTED;
        }
        void operator()(const FilingDeferred& e)
        {
            if (s.screen != Screen::SUBMITTING) return;
            if (s.filingId.empty()) {
                s.earlyDeferrals.push_back(e.filingId);
            } else if (e.filingId == s.filingId) {
                s.screen = Screen::QUEUED;
            }
        }
        void operator()(const TimerExpired& e)
        {
            if (e.timer == TimerId::NOTICE) {
                if (e.generation == s.noticeGeneration) s.noticeKey.clear();
                return;
            }
            if (e.timer == TimerId::SESSION_IDLE) {
                if (e.generation != s.idleGeneration || s.screen == Screen::SUBMITTING
                    || s.screen == Screen::CASE_QUERYING)
                    return;
                if (!inSession(s)) {
                    // Someone changed the display or language on the home screen and left.
                    s.language = s.defaultLanguage;
                    s.largeText = false;
                    s.highContrast = false;
                    return;
                }
                // Someone may have walked away: count down where everyone can see it.
                s.idleCountdown = static_cast<int>((s.sessionWarning.count() + 999) / 1000);
                if (s.idleCountdown <= 0) return endSession(s, "home.session_timed_out");
                out.push_back(StartTimer {
                    TimerId::SESSION_TICK, std::chrono::seconds(1), s.idleGeneration });
                return;
            }
            if (e.timer == TimerId::SESSION_TICK) {
                if (e.generation != s.idleGeneration || s.idleCountdown <= 0 || !inSession(s))
                    return;
                if (--s.idleCountdown > 0) {
                    out.push_back(StartTimer {
                        TimerId::SESSION_TICK, std::chrono::seconds(1), s.idleGeneration });
                    return;
                }
                // Nobody came back: the next person must not see (or send) this session.
                return endSession(s, "home.session_timed_out");
            }
            if (e.timer == TimerId::CHALLENGE_WAIT) {
                if (e.generation != s.challengeGeneration || s.screen != Screen::CARD_LOGIN
                    || s.loginStep != LoginStep::CHALLENGE)
                    return;
                // No challenge in time: the PIN is forgotten (leaving CARD_LOGIN wipes it) and
                // no card was asked; a late challenge finds no login waiting.
                s.loginStep = LoginStep::NONE;
                s.loginRefusalKey = "login_refused.unreachable";
                s.screen = Screen::LOGIN_REFUSED;
                return;
            }
            if (e.timer == TimerId::SUBMIT_WAIT && e.generation == s.timerGeneration
                && s.screen == Screen::SUBMITTING && !s.filingId.empty()) {
                s.screen = Screen::QUEUED;
            }
        }
    };

} // namespace

StepResult step(State state, const Event& event)
{
    std::vector<Command> commands;
    const Screen before = state.screen;
    const bool heldPin = state.screen == Screen::PIN_ENTRY || state.screen == Screen::CARD_LOGIN
        || state.screen == Screen::NHI_PASSWORD || state.screen == Screen::NHI_LAST_ATTEMPT
        || (state.screen == Screen::SUBMITTING && state.signingFiling
            && state.loginStep == LoginStep::CARD);
    const std::string noticeBefore = state.noticeKey;
    std::visit(Transition { state, commands }, event);
    // Every touch, and every new screen (a receipt, an error), restarts the session's idle clock
    // and closes the countdown; the moments the kiosk itself is busy have none. On the home
    // screen the clock runs only to undo a display or language choice nobody used.
    const bool busy = state.screen == Screen::SUBMITTING || state.screen == Screen::READING_CARD
        || state.screen == Screen::CARD_LOGIN || state.screen == Screen::CASE_QUERYING;
    // Left the PIN pad without a card call (home, card pulled, timed out): the app wipes the pad
    // and anything waiting in the PIN handoff.
    const auto holdsPin = [](const State& st) {
        return st.screen == Screen::PIN_ENTRY || st.screen == Screen::CARD_LOGIN
            || st.screen == Screen::NHI_PASSWORD || st.screen == Screen::NHI_LAST_ATTEMPT
            || (st.screen == Screen::SUBMITTING && st.signingFiling
                && st.loginStep == LoginStep::CARD);
    };
    if (heldPin && !holdsPin(state)) commands.emplace_back(std::in_place_type<ForgetPin>);
    const bool homeChanged
        = state.largeText || state.highContrast || state.language != state.defaultLanguage;
    const bool touched = isPersonAction(event) || state.screen != before;
    if (touched) state.idleCountdown = 0;
    if (!busy && touched && (inSession(state) || homeChanged)) {
        const auto quiet = std::max(std::chrono::milliseconds(0),
            inSession(state) ? state.sessionIdle - state.sessionWarning : state.sessionIdle);
        commands.push_back(StartTimer { TimerId::SESSION_IDLE, quiet, ++state.idleGeneration });
    } else if (touched && !inSession(state)) {
        ++state.idleGeneration; // a countdown of the session that just ended must not run on
    }
    if (!state.noticeKey.empty() && state.noticeKey != noticeBefore) {
        commands.push_back(
            StartTimer { TimerId::NOTICE, state.noticeShown, ++state.noticeGeneration });
    }
    return { std::move(state), std::move(commands) };
}

nlohmann::json buildFiling(const State& state, const std::string& createdAt)
{
    nlohmann::json filer = "anonymous";
    if (state.filer == Filer::HEALTH_CARD) {
        // Identified by central from the card number and registration password; its signed
        // identity assertion goes along as received, for central to check. The ID number and
        // birth date never leave the card worker.
        filer = { { "method", "health_card" }, { "name", state.cardHolderName },
            { "agency", state.agency }, { "assertion", state.nhiAssertion } };
    } else if (state.filer == Filer::CITIZEN_CERT) {
        // Identified by central from the card's certificate (contract s7-auth).
        filer = { { "method", "citizen_certificate" }, { "name", state.cardHolderName },
            { "agency", state.agency } };
    }
    return filingDocument(*state.form, state.answers, std::move(filer), state.kioskId, createdAt);
}

} // namespace shensu::kiosk
