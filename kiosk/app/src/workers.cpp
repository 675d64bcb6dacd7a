// Worker threads: they do the slow, blocking work and report back to the UI thread as core events.
#include "workers.hpp"

#include <cardio/atr.hpp>
#include <cardio/health_card.hpp>
#include <cardio/pcsc.hpp>
#include <cardio/pkcs11.hpp>
#include <cardio/reader_monitor.hpp>
#include <network/auth_client.hpp>
#include <network/case_status_client.hpp>
#include <network/forwarder.hpp>

#include <chrono>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <set>

namespace shensu::kiosk::app
{

namespace
{

    // A single-consumer job queue for one worker thread.
    template<typename Job> class Jobs
    {
    public:
        void push(Job job)
        {
            {
                std::lock_guard lock(mutex_);
                jobs_.push_back(std::move(job));
            }
            wake_.notify_one();
        }
        // Blocks; false when stopping.
        bool pop(Job& job)
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return false;
            job = std::move(jobs_.front());
            jobs_.pop_front();
            return true;
        }
        void stop()
        {
            {
                std::lock_guard lock(mutex_);
                stopping_ = true;
            }
            wake_.notify_all();
        }

    private:
        std::mutex mutex_;
        std::condition_variable wake_;
        std::deque<Job> jobs_;
        bool stopping_ = false;
    };

    using Job = std::function<void()>;

    std::string asString(const cardio::Bytes& bytes)
    {
        return { bytes.begin(), bytes.end() };
    }

    double msSince(std::chrono::steady_clock::time_point start)
    {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    }

} // namespace

// ---------------------------------------------------------------- card worker

struct CardWorker::Impl {
    EventQueue& queue;
    CitizenCardSettings citizen;
    Jobs<Job> jobs;
    std::thread thread;
    std::set<std::string> readers; // touched on the monitor's thread only
    // Per reader: cards inserted so far (written by the monitor's thread before it posts
    // CardInserted) and whether one is in now. Read by the card thread.
    std::mutex cardsMutex;
    std::map<std::string, std::uint64_t> insertions;
    std::set<std::string> cardsIn;
    std::unique_ptr<cardio::ReaderMonitor> monitor;
    cardio::PinHandoff handoff;
    std::unique_ptr<cardio::PinFailureCounter> failures; // card thread only

    Impl(EventQueue& q, CitizenCardSettings c)
        : queue(q)
        , citizen(std::move(c))
    { }

    cardio::PinFailureCounter& failureCounter()
    {
        if (!failures) {
            std::filesystem::path file;
            if (!citizen.stateDir.empty()) {
                std::error_code ec;
                std::filesystem::create_directories(citizen.stateDir, ec);
                file = citizen.stateDir / "pin-failures";
            }
            failures = std::make_unique<cardio::PinFailureCounter>(file);
        }
        return *failures;
    }

    // The count is a safety net, not the card's own: failing to store it must not hide what the
    // card answered.
    void recordFailure(const std::string& serial)
    {
        try {
            failureCounter().recordFailure(serial);
        } catch (const std::exception& e) {
            std::clog << "card: PIN failure count not stored: " << e.what() << '\n';
        }
    }
    void recordSuccess(const std::string& serial)
    {
        try {
            failureCounter().recordSuccess(serial);
        } catch (const std::exception& e) {
            std::clog << "card: PIN failure count not stored: " << e.what() << '\n';
        }
    }

    std::uint64_t insertionOf(const std::string& reader)
    {
        std::lock_guard lock(cardsMutex);
        const auto it = insertions.find(reader);
        return it == insertions.end() ? 0 : it->second;
    }
    // A module that names its slots its own way may take "the only token" for this reader, but only
    // when the kiosk itself sees exactly one card.
    bool oneCardIn()
    {
        std::lock_guard lock(cardsMutex);
        return cardsIn.size() == 1;
    }

    std::filesystem::path modulePath() const
    {
        return citizen.pkcs11Module.empty() ? cardio::findOpenscModule() : citizen.pkcs11Module;
    }

    // Finds the token and reads its tries; spends none. The module is loaded per operation so that
    // nothing it knew of this card (a login, a cached PIN) outlives it.
    void readCitizen(const std::string& reader)
    {
        try {
            const auto start = std::chrono::steady_clock::now();
            const std::uint64_t insertion = insertionOf(reader);
            cardio::Pkcs11Module module(modulePath());
            const auto slot = module.slotForReader(reader, oneCardIn());
            const cardio::TokenInfo info = module.tokenInfo(slot);
            {
                cardio::TokenSession publicSession(module, slot); // no login: public objects
                if (!publicSession.hasReadableCertificate())
                    throw cardio::CardError(
                        cardio::CardErrorCode::NO_CERTIFICATE, "no certificate that parses");
            }
            const auto tries = cardio::pinTries(info.pin, failureCounter().failures(info.serial));
            std::clog << "card: citizen card ready, " << tries.left << " tries left ("
                      << static_cast<int>(msSince(start)) << " ms)\n";
            queue.post(CitizenCardReady { reader, tries.left, tries.blocked,
                info.protectedAuthenticationPath, info.serial, insertion });
        } catch (const cardio::CardError& e) {
            std::clog << "card: citizen card failed: " << cardio::toString(e.code()) << '\n';
            queue.post(CardReadFailed { e.code() });
        } catch (const std::exception&) {
            std::clog << "card: citizen card failed: internal error\n";
            queue.post(CardReadFailed { cardio::CardErrorCode::INTERNAL });
        }
    }

    // The login was for another card than the one in the reader now: no PIN goes anywhere.
    void cancelLogin(const char* why)
    {
        handoff.clear();
        std::clog << "card: login cancelled, " << why << '\n';
        queue.post(CardReadFailed { cardio::CardErrorCode::CARD_REMOVED });
    }

    void loginAndSign(const LoginWithCitizenCard& login)
    {
        const std::string& reader = login.reader;
        const bool onReaderPinPad = login.onReaderPinPad;
        // A swap the UI thread has not seen yet (the monitor's CardRemoved may sit behind the
        // challenge in the queue): the insert count moved.
        if (insertionOf(reader) != login.insertion)
            return cancelLogin("the card in the reader is not the one read");
        try {
            const auto start = std::chrono::steady_clock::now();
            cardio::Pkcs11Module module(modulePath());
            const auto slot = module.slotForReader(reader, oneCardIn());
            const cardio::TokenInfo info = module.tokenInfo(slot);
            // A swap during the module load and slot scan: another token, or another insertion.
            if (info.serial != login.tokenSerial || insertionOf(reader) != login.insertion)
                return cancelLogin("the card in the reader is not the one read");
            if (cardio::pinTries(info.pin, failureCounter().failures(info.serial)).blocked) {
                // Never a PIN to a blocked card (nor to one the kiosk's count says is).
                handoff.clear();
                queue.post(PinRejected { reader, 0, true });
                return;
            }
            cardio::Pin pin; // this thread's copy, wiped by the login whatever happens
            if (!onReaderPinPad && !handoff.take(pin)) {
                // The session ended (ForgetPin) before the card call: no PIN, no attempt.
                std::clog << "card: login cancelled before the card call\n";
                queue.post(CardReadFailed { cardio::CardErrorCode::CANCELLED });
                return;
            }
            cardio::TokenSession session(module, slot);
            const auto loginStart = std::chrono::steady_clock::now();
            try {
                if (onReaderPinPad) {
                    session.loginOnReaderPinPad();
                } else {
                    session.login(pin);
                }
            } catch (const cardio::CardError& e) {
                if (onReaderPinPad && e.code() == cardio::CardErrorCode::CANCELLED) {
                    // Cancel or timeout on the keypad: nothing verified, nothing counted. PKCS#11
                    // answers both alike; one that lasted the reader's whole wait is its timeout.
                    const bool timedOut
                        = std::chrono::steady_clock::now() - loginStart >= citizen.readerPinTimeout;
                    std::clog << "card: PIN entry on the reader "
                              << (timedOut ? "timed out" : "cancelled") << '\n';
                    queue.post(CardReadFailed { timedOut ? cardio::CardErrorCode::PIN_PAD_TIMEOUT
                                                         : cardio::CardErrorCode::CANCELLED });
                    return;
                }
                if (e.code() == cardio::CardErrorCode::PIN_INCORRECT) {
                    recordFailure(info.serial);
                    const auto tries = cardio::pinTries(
                        module.tokenInfo(slot).pin, failureCounter().failures(info.serial));
                    std::clog << "card: PIN rejected, " << tries.left << " tries left\n";
                    queue.post(PinRejected { reader, tries.left, tries.blocked });
                    return;
                }
                if (e.code() == cardio::CardErrorCode::PIN_LOCKED) {
                    recordFailure(info.serial);
                    std::clog << "card: PIN rejected, card blocked\n";
                    queue.post(PinRejected { reader, 0, true });
                    return;
                }
                throw;
            }
            recordSuccess(info.serial);
            const double loginMs = msSince(start);
            const cardio::Bytes certificate = session.signingCertificate();
            const cardio::Bytes signature
                = session.sign(network::cardLoginMessage(login.challengeId, login.nonce));
            session.logout();
            std::clog << "card: citizen card signed (login " << static_cast<int>(loginMs)
                      << " ms, total " << static_cast<int>(msSince(start)) << " ms)\n";
            queue.post(CitizenCardSigned { reader, asString(certificate), asString(signature) });
        } catch (const cardio::CardError& e) {
            handoff.clear();
            std::clog << "card: citizen login failed: " << cardio::toString(e.code()) << '\n';
            queue.post(CardReadFailed { e.code() });
        } catch (const std::exception&) {
            handoff.clear();
            std::clog << "card: citizen login failed: internal error\n";
            queue.post(CardReadFailed { cardio::CardErrorCode::INTERNAL });
        }
    }

    // One card call for a filing's signature (issue 5): the same card as the login, C_Login with
    // the PIN from the handoff (wiped by the call), C_Sign of the SignerInfo's attributes,
    // C_Logout. Sets done's value, or posts what happened and sets CardSignAborted.
    void signFiling(const SignAndStoreFiling& request, const network::Bytes& toBeSigned,
        std::promise<network::CardSignature>& done)
    {
        const std::string& reader = request.reader;
        auto abort = [&](const Event& event, const char* why) {
            handoff.clear();
            std::clog << "card: filing not signed, " << why << '\n';
            queue.post(event);
            done.set_exception(std::make_exception_ptr(CardSignAborted(why)));
        };
        if (insertionOf(reader) != request.insertion)
            return abort(CardReadFailed { cardio::CardErrorCode::CARD_REMOVED },
                "the card in the reader is not the login's");
        try {
            const auto start = std::chrono::steady_clock::now();
            cardio::Pkcs11Module module(modulePath());
            const auto slot = module.slotForReader(reader, oneCardIn());
            const cardio::TokenInfo info = module.tokenInfo(slot);
            if (info.serial != request.tokenSerial || insertionOf(reader) != request.insertion)
                return abort(CardReadFailed { cardio::CardErrorCode::CARD_REMOVED },
                    "the card in the reader is not the login's");
            if (cardio::pinTries(info.pin, failureCounter().failures(info.serial)).blocked)
                return abort(PinRejected { reader, 0, true }, "card blocked");
            cardio::Pin pin;
            if (!request.onReaderPinPad && !handoff.take(pin))
                return abort(CardReadFailed { cardio::CardErrorCode::CANCELLED },
                    "cancelled before the card call");
            cardio::TokenSession session(module, slot);
            try {
                if (request.onReaderPinPad) {
                    session.loginOnReaderPinPad();
                } else {
                    session.login(pin);
                }
            } catch (const cardio::CardError& e) {
                if (e.code() == cardio::CardErrorCode::PIN_INCORRECT) {
                    recordFailure(info.serial);
                    const auto tries = cardio::pinTries(
                        module.tokenInfo(slot).pin, failureCounter().failures(info.serial));
                    return abort(PinRejected { reader, tries.left, tries.blocked }, "PIN rejected");
                }
                if (e.code() == cardio::CardErrorCode::PIN_LOCKED) {
                    recordFailure(info.serial);
                    return abort(PinRejected { reader, 0, true }, "PIN rejected, card blocked");
                }
                throw;
            }
            recordSuccess(info.serial);
            network::CardSignature signature;
            const cardio::Bytes certificate = session.signingCertificate();
            const cardio::Bytes signed_ = session.sign(std::string_view(
                reinterpret_cast<const char*>(toBeSigned.data()), toBeSigned.size()));
            session.logout();
            signature.certificate.assign(certificate.begin(), certificate.end());
            signature.signature.assign(signed_.begin(), signed_.end());
            std::clog << "card: filing signed (" << static_cast<int>(msSince(start)) << " ms)\n";
            done.set_value(std::move(signature));
        } catch (const cardio::CardError& e) {
            abort(CardReadFailed { e.code() }, cardio::toString(e.code()));
        } catch (const std::exception&) {
            abort(CardReadFailed { cardio::CardErrorCode::INTERNAL }, "internal error");
        }
    }

    void onReaderEvent(const cardio::ReaderEvent& event)
    {
        if (const auto* a = std::get_if<cardio::ReaderAdded>(&event)) {
            if (readers.empty())
                queue.post(CardService { true, cardio::CardErrorCode::NO_READERS });
            readers.insert(a->reader);
        } else if (const auto* r = std::get_if<cardio::ReaderRemoved>(&event)) {
            readers.erase(r->reader);
            if (readers.empty())
                queue.post(CardService { false, cardio::CardErrorCode::NO_READERS });
        } else if (const auto* i = std::get_if<cardio::CardInserted>(&event)) {
            {
                std::lock_guard lock(cardsMutex);
                ++insertions[i->reader];
                cardsIn.insert(i->reader);
            }
            queue.post(kiosk::CardInserted { i->reader, cardio::identifyCard(i->atr) });
        } else if (const auto* c = std::get_if<cardio::CardRemoved>(&event)) {
            {
                std::lock_guard lock(cardsMutex);
                ++insertions[c->reader]; // a card put back is another insertion
                cardsIn.erase(c->reader);
            }
            queue.post(kiosk::CardRemoved { c->reader });
        } else if (const auto* f = std::get_if<cardio::MonitorFailed>(&event)) {
            std::clog << "card: reader monitoring failed: " << cardio::toString(f->code) << '\n';
            readers.clear();
            queue.post(CardService { false, f->code });
        }
    }

    void readCard(const std::string& reader)
    {
        try {
            cardio::Context context;
            cardio::CardConnection card(context, reader);
            if (cardio::identifyCard(card.atr()) != cardio::CardKind::HEALTH_CARD) {
                queue.post(CardReadFailed { cardio::CardErrorCode::UNSUPPORTED_CARD });
                return;
            }
            cardio::HealthCardData data = cardio::readHealthCard(card);
            // The name and the card number (for central's registration-password check) go on: the
            // ID number and birth date stay here and die here.
            queue.post(HealthCardRead { reader, data.name, data.cardNumber });
            std::fill(data.idNumber.begin(), data.idNumber.end(), '\0');
            std::fill(data.cardNumber.begin(), data.cardNumber.end(), '\0');
            std::fill(data.name.begin(), data.name.end(), '\0');
            std::clog << "card: health card read\n";
        } catch (const cardio::CardError& e) {
            std::clog << "card: read failed: " << cardio::toString(e.code()) << '\n';
            queue.post(CardReadFailed { e.code() });
        } catch (const std::exception&) {
            std::clog << "card: read failed: internal error\n";
            queue.post(CardReadFailed { cardio::CardErrorCode::INTERNAL });
        }
    }

    void run()
    {
        Job job;
        while (jobs.pop(job)) {
            job();
            job = nullptr;
        }
        handoff.clear();
    }
};

CardWorker::CardWorker(EventQueue& queue, CitizenCardSettings citizen)
    : impl_(std::make_unique<Impl>(queue, std::move(citizen)))
{
    // With pcscd up but no reader attached the monitor stays silent: say so now, it reports readers
    // as they come.
    try {
        cardio::Context context;
        if (context.readers().empty())
            queue.post(CardService { false, cardio::CardErrorCode::NO_READERS });
    } catch (const cardio::CardError&) {
        // pcscd is not there: the monitor reports it (MonitorFailed) and keeps retrying.
    }
    impl_->monitor = std::make_unique<cardio::ReaderMonitor>(
        [impl = impl_.get()](const cardio::ReaderEvent& e) { impl->onReaderEvent(e); });
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

CardWorker::~CardWorker()
{
    impl_->jobs.stop();
    impl_->thread.join();
    impl_->monitor.reset();
}

void CardWorker::read(const std::string& reader)
{
    impl_->jobs.push([impl = impl_.get(), reader] { impl->readCard(reader); });
}

void CardWorker::readCitizen(const std::string& reader)
{
    impl_->jobs.push([impl = impl_.get(), reader] { impl->readCitizen(reader); });
}

void CardWorker::loginAndSign(const LoginWithCitizenCard& login)
{
    impl_->jobs.push([impl = impl_.get(), login] { impl->loginAndSign(login); });
}

cardio::PinHandoff& CardWorker::handoff() noexcept
{
    return impl_->handoff;
}

network::CardSigner CardWorker::filingSigner(const SignAndStoreFiling& request)
{
    SignAndStoreFiling job = request;
    job.filing = nullptr; // the card worker needs none of the filing's text
    return [impl = impl_.get(), job](std::span<const unsigned char> toBeSigned) {
        auto done = std::make_shared<std::promise<network::CardSignature>>();
        auto result = done->get_future();
        network::Bytes bytes(toBeSigned.begin(), toBeSigned.end());
        impl->jobs.push([impl, job, bytes, done] { impl->signFiling(job, bytes, *done); });
        // A stopped card worker drops its jobs: the promise breaks and this throws.
        return result.get();
    };
}

// ---------------------------------------------------------------- network worker

struct NetworkWorker::Impl {
    EventQueue& queue;
    Jobs<Job> jobs;
    std::thread thread;
    std::unique_ptr<network::Forwarder> forwarder;
    std::unique_ptr<network::CentralAuth> auth; // the login service; network thread only
    std::unique_ptr<network::CaseStatusClient> caseStatus; // 案件進度查詢; network thread only
    std::optional<network::Challenge> challenge; // the one challenge in flight
    cardio::NhiPasswordHandoff passwordHandoff;
    std::optional<network::ForwarderConfig>
        forwarderConfig; // set when the kiosk has a network part
    // Heartbeats have a thread of their own: a slow central never holds up a filing or a login.
    std::thread heartbeatThread;
    std::mutex heartbeatMutex;
    std::condition_variable heartbeatWake;
    bool heartbeatStopping = false;

    explicit Impl(EventQueue& q)
        : queue(q)
    { }

    // One Forwarder per outbox (network::OutboxBusy while a technician's shensu-ctl holds it):
    // tried at start and again before each filing until it opens.
    void openForwarder()
    {
        if (forwarder || !forwarderConfig) return;
        try {
            forwarder = std::make_unique<
                network::Forwarder>(*forwarderConfig, [this](const network::ForwardResult& r) {
                if (const auto* a = std::get_if<network::FilingAccepted>(&r)) {
                    queue.post(FilingAccepted { a->filingId, a->caseNumber, a->verificationCode });
                } else if (const auto* d = std::get_if<network::FilingDeferred>(&r)) {
                    queue.post(FilingDeferred { d->filingId, d->reason });
                }
            });
        } catch (const std::exception& e) {
            std::clog << "network: forwarder unavailable: " << e.what() << '\n';
        }
    }

    void store(nlohmann::json& filing)
    {
        openForwarder();
        if (forwarder) {
            try {
                auto stored = forwarder->storeFiling(filing);
                std::clog << (stored.caseNumber.empty()
                        ? "network: filing stored\n"
                        : "network: filing stored with a leased case number\n");
                queue.post(FilingStored { std::move(stored.filingId), std::move(stored.caseNumber),
                    std::move(stored.verificationCode) });
            } catch (const std::exception& e) {
                std::clog << "network: store failed: " << e.what() << '\n';
                queue.post(FilingStoreFailed { e.what() });
            }
            filing = nullptr; // the plaintext leaves memory as soon as it is sealed
            return;
        }
        storeFailedWithoutForwarder();
        filing = nullptr;
    }

    // No Forwarder: none configured, or its outbox would not open (full disk, another holder).
    void storeFailedWithoutForwarder()
    {
        const char* reason
            = forwarderConfig ? "the outbox is unavailable" : "no network configured";
        std::clog << "network: store failed: " << reason << '\n';
        queue.post(FilingStoreFailed { reason });
    }

    void storeSigned(nlohmann::json& filing, const network::CardSigner& signer,
        const std::function<void()>& forgetPin)
    {
        openForwarder();
        if (!forwarder) {
            forgetPin();
            storeFailedWithoutForwarder();
            filing = nullptr;
            return;
        }
        try {
            const std::string id = forwarder->store(filing, signer);
            std::clog << "network: signed filing stored\n";
            queue.post(FilingStored { id });
        } catch (const CardSignAborted&) {
            // Nothing sealed or stored; the card worker posted what the card said.
        } catch (const std::exception& e) {
            std::clog << "network: store failed: " << e.what() << '\n';
            queue.post(FilingStoreFailed { e.what() });
        }
        forgetPin();
        filing = nullptr;
    }

    // Central's challenge (contract s7-auth), asked when the PIN is confirmed: no PIN reaches the
    // card unless central can check what it signs.
    void requestChallenge()
    {
        if (!auth) {
            std::clog << "network: no login service: no central configured\n";
            queue.post(LoginChallengeFailed { "no central configured", true });
            return;
        }
        try {
            const auto start = std::chrono::steady_clock::now();
            challenge = auth->challenge();
            std::clog << "network: login challenge (" << static_cast<int>(msSince(start))
                      << " ms)\n";
            queue.post(LoginChallengeReady { challenge->challengeId, challenge->nonce });
        } catch (const std::exception& e) {
            std::clog << "network: login challenge unavailable: " << e.what() << '\n';
            queue.post(LoginChallengeFailed { e.what(), false });
        }
    }

    void verifyCardLogin(const std::string& challengeId, const std::string& certificateDer,
        const std::string& signature)
    {
        if (!auth || !challenge || challenge->challengeId != challengeId) {
            queue.post(CardLoginRefused { "challenge_invalid" });
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        const network::CardLoginAnswer answer
            = auth->cardLogin(*challenge, certificateDer, signature);
        challenge.reset(); // single use
        switch (answer.status) {
        case network::AuthStatus::OK:
            std::clog << "network: card login accepted (" << static_cast<int>(msSince(start))
                      << " ms)\n";
            queue.post(CardLoginAccepted { answer.name, answer.agency });
            return;
        case network::AuthStatus::REFUSED: {
            const std::string code(network::cardRefusalCode(answer.refusal));
            std::clog << "network: card login refused: " << code << '\n';
            queue.post(CardLoginRefused { code });
            return;
        }
        case network::AuthStatus::UNAVAILABLE:
            std::clog << "network: card login unavailable: " << answer.unavailable.reason << '\n';
            // The card already took the PIN and signed: not the "no PIN reached the card" message.
            queue.post(CardLoginRefused { "unreachable_after_card" });
            return;
        }
    }

    // The case number and the code go to central once; the log says only how it ended.
    void queryCaseStatus(QueryCaseStatus& query)
    {
        CaseQueryAnswered answered { query.queryId, CaseQueryResult::UNAVAILABLE, {}, 0 };
        if (!caseStatus) {
            std::clog << "network: case query unavailable: no central configured\n";
        } else {
            const auto start = std::chrono::steady_clock::now();
            const network::CaseStatusAnswer a
                = caseStatus->query(query.caseNumber, query.verificationCode);
            std::clog << "network: case query: " << a.reason << " ("
                      << static_cast<int>(msSince(start)) << " ms)\n";
            switch (a.outcome) {
            case network::CaseStatusOutcome::FOUND:
                answered.result = CaseQueryResult::FOUND;
                answered.status = { a.status.caseNumber, a.status.status, a.status.statusText,
                    a.status.statusAt, a.status.receivedAt, a.status.initialReportDue,
                    a.status.resultReportDue, a.status.resultExtensions };
                break;
            case network::CaseStatusOutcome::NOT_FOUND:
                answered.result = CaseQueryResult::NOT_FOUND;
                break;
            case network::CaseStatusOutcome::RATE_LIMITED:
                answered.result = CaseQueryResult::RATE_LIMITED;
                answered.retryAfterSeconds = static_cast<int>(a.retryAfterSeconds);
                break;
            case network::CaseStatusOutcome::MALFORMED:
                answered.result = CaseQueryResult::MALFORMED;
                break;
            case network::CaseStatusOutcome::UNREACHABLE:
                answered.result = CaseQueryResult::UNREACHABLE;
                break;
            }
        }
        explicit_bzero(query.verificationCode.data(), query.verificationCode.size());
        query.verificationCode.clear();
        queue.post(std::move(answered));
    }

    // The health card's state at central before the password screen: no password, nothing counted.
    void nhiStatus(const std::string& cardNumber, std::uint64_t generation)
    {
        if (!auth) {
            std::clog << "network: no login service: no central configured\n";
            queue.post(NhiStatusAnswered { "unavailable", 0, generation });
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        network::NhiStatusAnswer answer;
        try {
            answer = auth->nhiStatus(cardNumber);
        } catch (const std::exception& e) {
            answer.status = network::AuthStatus::UNAVAILABLE;
            answer.unavailable.reason = e.what();
        }
        NhiStatusAnswered out { "unavailable", 0, generation };
        if (answer.ok()) {
            switch (answer.state) {
            case network::NhiCardState::OK:
                out = { "ok", answer.triesLeft, generation };
                break;
            case network::NhiCardState::LOCKED:
                out = { "locked", 0, generation };
                break;
            case network::NhiCardState::NOT_REGISTERED:
                out = { "not_registered", 0, generation };
                break;
            }
        } else {
            std::clog << "network: health-card status unavailable: " << answer.unavailable.reason
                      << '\n';
        }
        std::clog << "network: health-card status " << out.result << " ("
                  << static_cast<int>(msSince(start)) << " ms)\n";
        queue.post(std::move(out));
    }

    // The health card's registration password, checked by central (contract s7-auth). One call,
    // the password wiped right after it; never logged, never retried.
    void nhiLogin(const std::string& cardNumber, std::uint64_t generation)
    {
        cardio::NhiPassword password; // this thread's copy, wiped whatever happens
        if (!passwordHandoff.take(password, generation, cardNumber)) {
            std::clog << "network: health-card login cancelled before the call\n";
            return; // the session ended (ForgetPin): nobody waits for an answer
        }
        if (!auth) {
            password.wipe();
            std::clog << "network: no login service: no central configured\n";
            queue.post(NhiLoginAnswered { "unavailable", 0, {}, {}, {}, generation });
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        network::NhiLoginAnswer answer;
        try {
            answer = auth->nhiLogin(cardNumber,
                std::string_view(reinterpret_cast<const char*>(password.data()), password.size()));
        } catch (const std::exception& e) {
            answer.status = network::AuthStatus::UNAVAILABLE;
            answer.unavailable.reason = e.what();
        }
        password.wipe();
        NhiLoginAnswered out;
        switch (answer.status) {
        case network::AuthStatus::OK:
            if (!answer.assertion.is_object()) {
                // Central said yes but sent no identity assertion: it would refuse the filing
                // later, after the person typed the whole complaint. Say so now.
                std::clog << "network: health-card login answered without an identity assertion\n";
                out = { "unavailable" };
                break;
            }
            out = { "ok", 0, answer.name, answer.agency, answer.assertion };
            break;
        case network::AuthStatus::REFUSED:
            switch (answer.refusal) {
            case network::NhiRefusal::WRONG_PASSWORD:
                out = { "wrong_password", answer.triesLeft };
                break;
            case network::NhiRefusal::LOCKED:
                out = { "locked" };
                break;
            case network::NhiRefusal::NOT_REGISTERED:
                out = { "not_registered" };
                break;
            case network::NhiRefusal::MALFORMED_PASSWORD:
                out = { "malformed_password" };
                break;
            }
            break;
        case network::AuthStatus::UNAVAILABLE:
            std::clog << "network: health-card login unavailable: " << answer.unavailable.reason
                      << '\n';
            out = { "unavailable" };
            break;
        }
        std::clog << "network: health-card login " << out.result << " ("
                  << static_cast<int>(msSince(start)) << " ms)\n";
        out.generation = generation;
        queue.post(std::move(out));
    }

    // One heartbeat now, then one every `every`, until the worker stops. The log says only when
    // central starts or stops taking them.
    void runHeartbeats(std::chrono::seconds every)
    {
        std::optional<bool> lastSent;
        std::unique_lock lock(heartbeatMutex);
        while (!heartbeatStopping) {
            lock.unlock();
            std::string failure;
            try {
                failure = network::sendHeartbeat(*forwarderConfig,
                    network::outboxHeartbeat(forwarderConfig->outboxPath, SHENSU_VERSION));
            } catch (const std::exception& e) {
                failure = e.what();
            }
            if (lastSent != failure.empty()) {
                std::clog << (failure.empty() ? "network: heartbeat sent\n"
                                              : "network: heartbeat not sent: " + failure + '\n');
                lastSent = failure.empty();
            }
            lock.lock();
            heartbeatWake.wait_for(lock, every, [this] { return heartbeatStopping; });
        }
    }

    void run()
    {
        Job job;
        while (jobs.pop(job)) {
            job();
            job = nullptr;
        }
        passwordHandoff.clear();
    }
};

NetworkWorker::NetworkWorker(EventQueue& queue, const KioskConfig& config)
    : impl_(std::make_unique<Impl>(queue))
{
    if (config.hasNetwork()) {
        // The network keys (certificates, proxy, timeouts, retries) have one reader.
        const network::ForwarderConfig fc = network::loadForwarderConfig(config.file);
        impl_->forwarderConfig = fc;
        impl_->openForwarder();
        try {
            impl_->auth = std::make_unique<network::CentralAuth>(fc);
        } catch (const std::exception& e) {
            std::clog << "network: login service unavailable: " << e.what() << '\n';
        }
        try {
            impl_->caseStatus = std::make_unique<network::CaseStatusClient>(fc);
        } catch (const std::exception& e) {
            std::clog << "network: case query unavailable: " << e.what() << '\n';
        }
    }
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
    if (impl_->forwarderConfig && config.heartbeat.count() > 0) {
        impl_->heartbeatThread = std::thread(
            [impl = impl_.get(), every = config.heartbeat] { impl->runHeartbeats(every); });
    }
}

NetworkWorker::~NetworkWorker()
{
    {
        std::lock_guard lock(impl_->heartbeatMutex);
        impl_->heartbeatStopping = true;
    }
    impl_->heartbeatWake.notify_all();
    if (impl_->heartbeatThread.joinable()) impl_->heartbeatThread.join();
    impl_->jobs.stop();
    impl_->thread.join();
    impl_->forwarder.reset();
}

void NetworkWorker::store(nlohmann::json filing)
{
    impl_->jobs.push([impl = impl_.get(), f = std::move(filing)]() mutable { impl->store(f); });
}

void NetworkWorker::queryCaseStatus(QueryCaseStatus query)
{
    impl_->jobs.push(
        [impl = impl_.get(), q = std::move(query)]() mutable { impl->queryCaseStatus(q); });
}

void NetworkWorker::storeSigned(
    nlohmann::json filing, network::CardSigner signer, std::function<void()> forgetPin)
{
    impl_->jobs.push([impl = impl_.get(), f = std::move(filing), signer = std::move(signer),
                         forgetPin = std::move(forgetPin)]() mutable {
        impl->storeSigned(f, signer, forgetPin);
    });
}

void NetworkWorker::requestChallenge()
{
    impl_->jobs.push([impl = impl_.get()] { impl->requestChallenge(); });
}

void NetworkWorker::nhiLogin(std::string cardNumber, std::uint64_t generation)
{
    impl_->jobs.push([impl = impl_.get(), n = std::move(cardNumber), generation] {
        impl->nhiLogin(n, generation);
    });
}

void NetworkWorker::nhiStatus(std::string cardNumber, std::uint64_t generation)
{
    impl_->jobs.push([impl = impl_.get(), n = std::move(cardNumber), generation] {
        impl->nhiStatus(n, generation);
    });
}

cardio::NhiPasswordHandoff& NetworkWorker::passwordHandoff() noexcept
{
    return impl_->passwordHandoff;
}

void NetworkWorker::verifyCardLogin(
    std::string challengeId, std::string certificateDer, std::string signature)
{
    impl_->jobs.push(
        [impl = impl_.get(), id = std::move(challengeId), cert = std::move(certificateDer),
            sig = std::move(signature)] { impl->verifyCardLogin(id, cert, sig); });
}

} // namespace shensu::kiosk::app
