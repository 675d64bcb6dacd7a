// The forwarder: store() seals and keeps a filing durably; a background thread posts due filings to
// central.
#include "transport.hpp"

#include <network/backoff.hpp>
#include <network/case_lease.hpp>
#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <unistd.h>

namespace shensu::network
{

namespace
{

    // One Forwarder per outbox: a second one (shensu-ctl file/flush on a live kiosk) would post the
    // same rows, and whichever got the receipt would delete the row and keep the case number the
    // filer at the kiosk is waiting for. The lock is an flock on OUTBOX.lock, held for the
    // Forwarder's lifetime and dropped by the kernel when the process dies (SQLite's own locks are
    // per transaction, so they cannot say this).
    class OutboxLock
    {
    public:
        explicit OutboxLock(const std::filesystem::path& outbox)
        {
            const std::string path = outbox.string() + ".lock";
            fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd_ < 0)
                throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
            if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
                const int err = errno;
                ::close(fd_);
                if (err == EWOULDBLOCK)
                    throw OutboxBusy("the outbox " + outbox.string()
                        + " is in use by another forwarder (is the kiosk running?)");
                throw std::runtime_error("cannot lock " + path + ": " + std::strerror(err));
            }
        }
        ~OutboxLock() { ::close(fd_); }
        OutboxLock(const OutboxLock&) = delete;
        OutboxLock& operator=(const OutboxLock&) = delete;

    private:
        int fd_ = -1;
    };

} // namespace

struct Forwarder::Impl {
    Impl(ForwarderConfig c, std::function<void(const ForwardResult&)> callback)
        : config(std::move(c))
        , onResult(std::move(callback))
        , sealer(config.clientCert, config.clientKey, config.encryptionCert)
        , receipts(config.receiptCert)
        , leaseVerifier(config.receiptCert)
        , deviceKioskId(openssl::commonName(openssl::readCertificate(config.clientCert).get()))
        , outboxLock(config.outboxPath)
        , outbox(config.outboxPath)
        , jitter(std::random_device {}())
    {
        outbox.makeAllDue(Clock::now()); // what an earlier run left is retried at once
        if (config.caseLeases) loadLeases();
    }

    void run(curl::MultiHandle& multi, bool leases);
    void loadLeases();
    bool leaseWanted(); // with mutex held
    void fetchLease(CentralTransport& transport);
    bool sendOne(CentralTransport& transport);
    void finished(const std::string& id); // with mutex held
    std::chrono::milliseconds retryDelay(std::int64_t attemptsSoFar);

    ForwarderConfig config;
    std::function<void(const ForwardResult&)> onResult;
    Sealer sealer;
    ReceiptVerifier receipts;
    LeaseVerifier leaseVerifier;
    std::string deviceKioskId; // the CN central sees on our TLS connection
    Clock::time_point nextLeaseAttempt {}; // guarded by mutex

    mutable std::mutex mutex; // guards outbox, generation, inFlight, removedSinceScrub, jitter
    std::condition_variable wakeUp;
    OutboxLock outboxLock; // before outbox: held while it is open
    Outbox outbox;
    // Bumped by store() and by every finished post: a sender that found nothing to do waits for
    // it to change (or for the next row to fall due).
    std::uint64_t generation = 0;
    // Rows a sender is posting right now: the others leave them alone.
    std::set<std::string> inFlight;
    // Rows central refused (a 4xx that is about access or configuration, not this filing: 401,
    // 403, 404...) whose refusal was logged already: once each.
    std::set<std::string> refusalLogged;
    static constexpr int SCRUB_EVERY = 32;
    int removedSinceScrub = 0;
    std::mt19937_64 jitter;
    std::atomic<bool> stopping { false };
    // One per sender; wakeUp() interrupts a post in progress when stopping.
    std::vector<std::unique_ptr<curl::MultiHandle>> multis;
    std::vector<std::thread> workers;
};

void Forwarder::Impl::finished(const std::string& id)
{
    inFlight.erase(id);
    ++generation;
}

std::chrono::milliseconds Forwarder::Impl::retryDelay(std::int64_t attemptsSoFar)
{
    return backoffDelay(attemptsSoFar, config.firstRetryDelay, config.maxRetryDelay, jitter);
}

// Posts the oldest due filing, if any. Returns false when nothing was due.
bool Forwarder::Impl::sendOne(CentralTransport& transport)
{
    std::optional<OutboxEntry> entry;
    {
        std::lock_guard lock(mutex);
        entry = outbox.nextDue(Clock::now(), inFlight);
        if (!entry) return false;
        inFlight.insert(entry->id);
    }
    PostResult posted;
    try {
        posted = transport.postSubmission(entry->id, entry->envelope);
    } catch (...) {
        std::lock_guard lock(mutex);
        finished(entry->id);
        throw;
    }
    if (posted.outcome == PostOutcome::CANCELLED) {
        std::lock_guard lock(mutex);
        finished(entry->id);
        return false;
    }

    // A filing sealed with a leased number must come back with that very number: the filer was
    // shown it. Anything else is kept and retried like a refused receipt.
    if (posted.outcome == PostOutcome::ACCEPTED && !entry->caseNumber.empty()
        && posted.receipt->caseNumber != entry->caseNumber)
        posted = { PostOutcome::RECEIPT_REFUSED, std::nullopt,
            "the receipt names another case number than the leased one sealed in the filing" };

    ForwardResult result;
    if (posted.outcome == PostOutcome::ACCEPTED) {
        // Only a receipt that verified (transport.cpp) lets the filing go.
        {
            // Scrub the WAL when the outbox is empty, and every SCRUB_EVERY filings of a
            // backlog (a checkpoint per filing would halve the drain rate).
            std::lock_guard lock(mutex);
            finished(entry->id);
            outbox.remove(entry->id, false); // throws before the DELETE commits: row kept, retried
            refusalLogged.erase(entry->id);
            // The row is gone now: from here on nothing may keep the receipt from the filer.
            try {
                if (++removedSinceScrub >= SCRUB_EVERY || outbox.count() == 0) {
                    removedSinceScrub = 0;
                    outbox.scrub();
                }
            } catch (const std::exception& e) {
                std::fprintf(
                    stderr, "shensu-network: forwarder: scrub after a receipt: %s\n", e.what());
            }
        }
        wakeUp.notify_all();
        result = FilingAccepted { entry->id, posted.receipt->caseNumber,
            posted.receipt->verificationCode, posted.receipt->initialReportDue,
            posted.receipt->resultReportDue };
    } else {
        {
            std::lock_guard lock(mutex);
            finished(entry->id);
            // Central's Retry-After (409, 429) is a floor under the usual backoff.
            const auto delay = std::max<std::chrono::milliseconds>(
                retryDelay(entry->attempts), posted.retryAfter);
            if (posted.outcome == PostOutcome::REFUSED_FOR_GOOD) {
                // Central refuses this very filing: sending it again cannot change that, and it
                // must not hold up the rest of the queue. Kept, sealed as it is, until a
                // technician releases it (shensu-ctl outbox retry).
                outbox.hold(entry->id,
                    "http-" + std::to_string(posted.httpStatus)
                        + (posted.refusalCode.empty() ? "" : ":" + posted.refusalCode),
                    Clock::now());
                refusalLogged.erase(entry->id);
                std::fprintf(stderr,
                    "shensu-network: forwarder: central refuses filing %s%s%s for good: %s; it "
                    "is held in the outbox (shensu-ctl outbox list-held / retry): see central's "
                    "log\n",
                    entry->id.c_str(), entry->caseNumber.empty() ? "" : " with leased number ",
                    entry->caseNumber.c_str(), posted.reason.c_str());
            } else {
                outbox.markAttempt(entry->id, Clock::now() + delay);
            }
            // Kept and retried, but it will likely never go by itself: a technician must see it.
            if (posted.outcome == PostOutcome::REJECTED && refusalLogged.insert(entry->id).second)
                std::fprintf(stderr,
                    "shensu-network: forwarder: central refuses filing %s%s%s (%s); it stays in "
                    "the outbox and is retried: see central's log\n",
                    entry->id.c_str(), entry->caseNumber.empty() ? "" : " with leased number ",
                    entry->caseNumber.c_str(), posted.reason.c_str());
        }
        wakeUp.notify_all();
        const bool refused = posted.outcome == PostOutcome::SERVER_REFUSED;
        const bool held = posted.outcome == PostOutcome::REFUSED_FOR_GOOD;
        std::string reason = refused ? "central's certificate was refused: " + posted.reason
            : held                   ? "held: central refuses the filing for good: " + posted.reason
            : posted.outcome == PostOutcome::BUSY ? "central busy, retrying: " + posted.reason
            : posted.outcome == PostOutcome::REJECTED
            ? "central rejected the filing: " + posted.reason
            : posted.outcome == PostOutcome::RECEIPT_REFUSED ? "receipt refused: " + posted.reason
            : posted.outcome == PostOutcome::SERVER_ERROR    ? "central failed: " + posted.reason
                                                          : "central unreachable: " + posted.reason;
        result = FilingDeferred { entry->id, std::move(reason), refused, held };
    }
    if (onResult) onResult(result);
    return true;
}

// Every stored lease is verified again against the pinned receipt certificate and this kiosk's
// identity (a lease file edited, or the receipt certificate rotated): what fails is forgotten.
// Leases expired a day ago go, with their numbers, unless a waiting filing still carries one.
void Forwarder::Impl::loadLeases()
{
    for (const auto& stored : outbox.leases()) {
        try {
            const auto lease = leaseVerifier.verify(stored.signedBody, deviceKioskId);
            if (lease.leaseId != stored.leaseId) throw LeaseError("lease id differs");
            if (parseLeaseTime(lease.expiresAt) + std::chrono::hours(24) < Clock::now())
                throw LeaseError("expired");
        } catch (const std::exception& e) {
            std::fprintf(
                stderr, "shensu-network: forwarder: case-number lease dropped: %s\n", e.what());
            outbox.dropLease(stored.leaseId);
        }
    }
}

bool Forwarder::Impl::leaseWanted()
{
    if (!config.caseLeases) return false;
    try {
        // Numbers of a lease about to expire do not count: ask in time.
        return outbox.unusedLeasedNumbers(Clock::now() + std::chrono::minutes(10))
            < static_cast<std::size_t>(std::max(1, config.leaseLowWater));
    } catch (const std::exception&) {
        return false; // a broken disk: the filings' own retries report it
    }
}

// Asks central for a block of case numbers; keeps it if it verifies and is new. Any failure only
// delays the next try (filings go without a leased number meanwhile).
void Forwarder::Impl::fetchLease(CentralTransport& transport)
{
    {
        std::lock_guard lock(mutex);
        if (Clock::now() < nextLeaseAttempt || !leaseWanted()) return;
        nextLeaseAttempt = Clock::now() + config.leaseRetryDelay;
    }
    const PostResult posted = transport.postLease();
    if (posted.outcome == PostOutcome::CANCELLED) return;
    if (posted.outcome != PostOutcome::ACCEPTED) {
        std::fprintf(
            stderr, "shensu-network: forwarder: no case-number lease: %s\n", posted.reason.c_str());
        return;
    }
    try {
        const auto lease = leaseVerifier.verify(posted.body, deviceKioskId);
        const auto expires = parseLeaseTime(lease.expiresAt);
        if (expires <= Clock::now()) throw LeaseError("case-number lease: expired on arrival");
        if (parseLeaseTime(lease.issuedAt) > Clock::now() + config.leaseClockSkew) {
            // Central's clock is ahead of ours by more than the allowance: ours is wrong.
            std::fprintf(stderr,
                "shensu-network: forwarder: clock error: a case-number lease was issued at %s, "
                "later than this kiosk's clock (%s); not using leases until the clock is set\n",
                lease.issuedAt.c_str(), leaseTime(Clock::now()).c_str());
            return;
        }
        std::lock_guard lock(mutex);
        outbox.addLease(posted.body, lease.leaseId, lease.numbers, expires);
        // Still short (central gave the lease we hold): wait; else we may ask again at once.
        if (!leaseWanted()) nextLeaseAttempt = {};
        ++generation;
    } catch (const std::exception& e) {
        std::fprintf(
            stderr, "shensu-network: forwarder: case-number lease refused: %s\n", e.what());
    }
}

void Forwarder::Impl::run(curl::MultiHandle& multi, bool leases)
{
    std::optional<CentralTransport> transport;
    while (!stopping) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(mutex);
            seen = generation;
        }
        bool failed = false;
        try {
            if (!transport) transport.emplace(config, receipts, multi, stopping);
            while (!stopping && sendOne(*transport)) { }
            if (leases && !stopping) fetchLease(*transport);
        } catch (const std::exception& e) {
            failed = true;
            // Database or curl setup trouble: keep the filings, say so (no personal data), try
            // again later.
            std::fprintf(stderr, "shensu-network: forwarder: %s\n", e.what());
            transport.reset();
        }

        std::unique_lock lock(mutex);
        if (stopping || (!failed && generation != seen)) continue;
        // (A lease is wanted: wake up for the next try.)
        const bool leaseTimer = leases && !failed && leaseWanted();
        // (Plain variables rather than an optional: g++ 12 sees a false maybe-uninitialized.)
        bool timed = false;
        Clock::time_point next {};
        try {
            if (const auto earliest = outbox.earliestAttempt(inFlight)) {
                next = *earliest;
                timed = true;
            }
        } catch (const std::exception&) {
            failed = true;
        }
        if (failed) { // don't spin on a broken disk: wait a full retry period (a new filing still
                      // wakes us)
            next = Clock::now() + config.maxRetryDelay;
            timed = true;
            seen = generation;
        }
        if (leaseTimer && (!timed || nextLeaseAttempt < next)) {
            next = nextLeaseAttempt;
            timed = true;
        }
        // Look again at least every maxRetryDelay even with nothing due: `shensu-ctl outbox
        // retry` releases held rows from another process, and nothing else wakes us for them.
        if (const auto poll = Clock::now() + config.maxRetryDelay; !timed || next > poll) {
            next = poll;
            timed = true;
        }
        auto ready = [&] { return stopping.load() || generation != seen; };
        if (timed)
            wakeUp.wait_until(lock, next, ready);
        else
            wakeUp.wait(lock, ready);
    }
}

Forwarder::Forwarder(ForwarderConfig config, std::function<void(const ForwardResult&)> onResult)
{
    try {
        impl_ = std::make_unique<Impl>(std::move(config), std::move(onResult));
    } catch (const OutboxBusy&) {
        throw;
    } catch (const std::exception& e) {
        throw StoreError(std::string("forwarder cannot start: ") + e.what());
    }
    const int senders = std::clamp(impl_->config.parallelPosts, 1, 16);
    for (int i = 0; i < senders; ++i)
        impl_->multis.push_back(std::make_unique<curl::MultiHandle>());
    for (std::size_t i = 0; i < impl_->multis.size(); ++i)
        impl_->workers.emplace_back([impl = impl_.get(), m = impl_->multis[i].get(), i] {
            impl->run(*m, i == 0 && impl->config.caseLeases); // one sender asks for leases
        });
}

Forwarder::~Forwarder()
{
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wakeUp.notify_all();
    for (auto& multi : impl_->multis)
        multi->wakeUp();
    for (auto& worker : impl_->workers)
        worker.join();
}

std::string Forwarder::store(const nlohmann::json& filing, const CardSigner& cardSigner)
{
    return storeFiling(filing, cardSigner).filingId;
}

StoredFiling Forwarder::storeFiling(const nlohmann::json& filing, const CardSigner& cardSigner)
{
    // What the card signer throws (wrong PIN, card pulled...) passes through as it is; only the
    // sealer's own failures become StoreError.
    const auto seal = [&](const nlohmann::json& content) {
        Bytes canonical;
        try {
            canonical = protocol::canonicalBytes(content);
        } catch (const std::exception& e) {
            throw StoreError(std::string("cannot seal filing: ") + e.what());
        }
        try {
            auto envelope = impl_->sealer.seal(canonical, cardSigner);
            OPENSSL_cleanse(canonical.data(), canonical.size());
            return envelope;
        } catch (const SealError& e) {
            OPENSSL_cleanse(canonical.data(), canonical.size());
            throw StoreError(std::string("cannot seal filing: ") + e.what());
        } catch (...) {
            OPENSSL_cleanse(canonical.data(), canonical.size());
            throw;
        }
    };
    StoredFiling stored { newUuid(), {}, {} };
    if (impl_->config.caseLeases) {
        // The number is taken, sealed in and marked used under the lock, in one transaction with
        // the row: two filings never take the same number, and a crash before the commit leaves
        // the number free and no filing (the screen has not shown it).
        std::lock_guard lock(impl_->mutex);
        std::optional<Outbox::FreeNumber> free;
        try {
            free = impl_->outbox.nextLeasedNumber(Clock::now());
        } catch (const std::exception& e) {
            std::fprintf(
                stderr, "shensu-network: forwarder: leased numbers unreadable: %s\n", e.what());
        }
        if (free) {
            const auto now = Clock::now();
            LeasedNumber taken { free->leaseId, free->caseNumber, newKioskVerificationCode(),
                leaseTime(now) };
            nlohmann::json withNumber = filing;
            withNumber[FILING_LEASE_KEY] = toJson(taken);
            const Bytes envelope = seal(withNumber);
            try {
                impl_->outbox.addWithLeasedNumber(stored.filingId, envelope, now, taken.caseNumber);
            } catch (const std::exception& e) {
                throw StoreError(std::string("cannot store filing: ") + e.what());
            }
            ++impl_->generation;
            stored.caseNumber = taken.caseNumber;
            stored.verificationCode = taken.verificationCode;
            OPENSSL_cleanse(taken.verificationCode.data(), taken.verificationCode.size());
        }
    }
    if (stored.caseNumber.empty()) {
        const Bytes envelope = seal(filing);
        std::lock_guard lock(impl_->mutex);
        try {
            impl_->outbox.add(stored.filingId, envelope,
                Clock::now()); // one autocommit INSERT: all of the row or nothing
        } catch (const std::exception& e) {
            throw StoreError(std::string("cannot store filing: ") + e.what());
        }
        ++impl_->generation;
    }
    impl_->wakeUp.notify_all();
    return stored;
}

std::size_t Forwarder::leasedNumbersLeft() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->outbox.unusedLeasedNumbers(Clock::now());
}

std::size_t Forwarder::pendingCount() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->outbox.count();
}

std::size_t Forwarder::heldCount() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->outbox.heldCount();
}

} // namespace shensu::network
