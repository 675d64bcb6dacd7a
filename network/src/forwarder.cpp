// The forwarder: store() seals and keeps a filing durably; a background thread posts due filings to
// central.
#include "transport.hpp"

#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

namespace shensu::network
{

struct Forwarder::Impl {
    Impl(ForwarderConfig c, std::function<void(const ForwardResult&)> callback)
        : config(std::move(c))
        , onResult(std::move(callback))
        , sealer(config.clientCert, config.clientKey, config.encryptionCert)
        , receipts(config.receiptCert)
        , outbox(config.outboxPath)
        , jitter(std::random_device {}())
    {
        outbox.makeAllDue(Clock::now()); // what an earlier run left is retried at once
    }

    void run();
    bool sendOne(CentralTransport& transport);
    std::chrono::milliseconds retryDelay(std::int64_t attemptsSoFar);

    ForwarderConfig config;
    std::function<void(const ForwardResult&)> onResult;
    Sealer sealer;
    ReceiptVerifier receipts;

    mutable std::mutex mutex; // guards outbox, wake, jitter
    std::condition_variable wakeUp;
    Outbox outbox;
    bool wake = false;
    static constexpr int SCRUB_EVERY = 32;
    int removedSinceScrub = 0;
    std::mt19937_64 jitter;
    std::atomic<bool> stopping { false };
    curl::MultiHandle multi; // its wakeUp() interrupts a post in progress when stopping
    std::thread worker;
};

std::chrono::milliseconds Forwarder::Impl::retryDelay(std::int64_t attemptsSoFar)
{
    // "Full jitter" with a floor: uniformly in [first, min(cap, first * 2^(attempts+1))], so kiosks
    // that failed together spread out, and the ceiling doubles per attempt up to maxRetryDelay.
    const auto first = std::max<std::int64_t>(1, config.firstRetryDelay.count());
    const auto cap = std::max<std::int64_t>(first, config.maxRetryDelay.count());
    std::int64_t ceiling = first;
    for (std::int64_t i = 0; i <= attemptsSoFar && ceiling < cap; ++i)
        ceiling *= 2;
    std::uniform_int_distribution<std::int64_t> pick(first, std::min(ceiling, cap));
    return std::chrono::milliseconds(pick(jitter));
}

// Posts the oldest due filing, if any. Returns false when nothing was due.
bool Forwarder::Impl::sendOne(CentralTransport& transport)
{
    std::optional<OutboxEntry> entry;
    {
        std::lock_guard lock(mutex);
        entry = outbox.nextDue(Clock::now());
    }
    if (!entry) return false;

    const PostResult posted = transport.postSubmission(entry->id, entry->envelope);
    if (posted.outcome == PostOutcome::CANCELLED) return false;

    ForwardResult result;
    if (posted.outcome == PostOutcome::ACCEPTED) {
        // Only a receipt that verified (transport.cpp) lets the filing go.
        {
            // Scrub the WAL when the outbox is empty, and every SCRUB_EVERY filings of a
            // backlog (a checkpoint per filing would halve the drain rate).
            std::lock_guard lock(mutex);
            outbox.remove(entry->id, false);
            if (++removedSinceScrub >= SCRUB_EVERY || outbox.count() == 0) {
                outbox.scrub();
                removedSinceScrub = 0;
            }
        }
        result = FilingAccepted { entry->id, posted.receipt->caseNumber,
            posted.receipt->verificationCode, posted.receipt->initialReportDue,
            posted.receipt->resultReportDue };
    } else {
        {
            std::lock_guard lock(mutex);
            outbox.markAttempt(entry->id, Clock::now() + retryDelay(entry->attempts));
        }
        const bool refused = posted.outcome == PostOutcome::SERVER_REFUSED;
        std::string reason = refused ? "central's certificate was refused: " + posted.reason
            : posted.outcome == PostOutcome::REJECTED
            ? "central rejected the filing: " + posted.reason
            : posted.outcome == PostOutcome::RECEIPT_REFUSED ? "receipt refused: " + posted.reason
            : posted.outcome == PostOutcome::SERVER_ERROR    ? "central failed: " + posted.reason
                                                          : "central unreachable: " + posted.reason;
        result = FilingDeferred { entry->id, std::move(reason), refused };
    }
    if (onResult) onResult(result);
    return true;
}

void Forwarder::Impl::run()
{
    std::optional<CentralTransport> transport;
    while (!stopping) {
        bool failed = false;
        try {
            if (!transport) transport.emplace(config, receipts, multi, stopping);
            while (!stopping && sendOne(*transport)) { }
        } catch (const std::exception& e) {
            failed = true;
            // Database or curl setup trouble: keep the filings, say so (no personal data), try
            // again later.
            std::fprintf(stderr, "shensu-network: forwarder: %s\n", e.what());
            transport.reset();
        }

        std::unique_lock lock(mutex);
        if (stopping || wake) {
            wake = false;
            continue;
        }
        std::optional<Clock::time_point> next;
        try {
            next = outbox.earliestAttempt();
        } catch (const std::exception&) {
            failed = true;
        }
        if (failed) // don't spin on a broken disk: wait a full retry period (a new filing still
                    // wakes us)
            next = Clock::now() + config.maxRetryDelay;
        auto ready = [this] { return stopping.load() || wake; };
        if (next)
            wakeUp.wait_until(lock, *next, ready);
        else
            wakeUp.wait(lock, ready);
        wake = false;
    }
}

Forwarder::Forwarder(ForwarderConfig config, std::function<void(const ForwardResult&)> onResult)
{
    try {
        impl_ = std::make_unique<Impl>(std::move(config), std::move(onResult));
    } catch (const std::exception& e) {
        throw StoreError(std::string("forwarder cannot start: ") + e.what());
    }
    impl_->worker = std::thread([impl = impl_.get()] { impl->run(); });
}

Forwarder::~Forwarder()
{
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wakeUp.notify_all();
    impl_->multi.wakeUp();
    impl_->worker.join();
}

std::string Forwarder::store(const nlohmann::json& filing)
{
    std::string id = newUuid();
    Bytes envelope;
    try {
        envelope = impl_->sealer.seal(protocol::canonicalBytes(filing));
    } catch (const std::exception& e) {
        throw StoreError(std::string("cannot seal filing: ") + e.what());
    }
    {
        std::lock_guard lock(impl_->mutex);
        try {
            impl_->outbox.add(
                id, envelope, Clock::now()); // one autocommit INSERT: all of the row or nothing
        } catch (const std::exception& e) {
            throw StoreError(std::string("cannot store filing: ") + e.what());
        }
        impl_->wake = true;
    }
    impl_->wakeUp.notify_one();
    return id;
}

std::size_t Forwarder::pendingCount() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->outbox.count();
}

} // namespace shensu::network
