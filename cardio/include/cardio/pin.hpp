// A PIN in memory: a fixed, mlock'd buffer, wiped on destruction and after each card call, never
// copied, printed as "***". And the one-slot handoff that carries it from the PIN pad to the card
// worker without it ever becoming an event, a command or a log line.
// Generalised (one template, LockedChars<Rule>) for the health card's registration password
// (NhiPassword): the same buffer, wiping and handoff, with its own characters and capacity; it
// goes to the network worker (central checks it), never to a card.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include <sys/mman.h>

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
#endif

namespace shensu::cardio
{

// Which characters a buffer takes, and how many.
struct PinDigits {
    // MOICA PINs are 6-8 digits; room for a longer PIN of another module, never more.
    static constexpr std::size_t CAPACITY = 16;
    static constexpr bool accepts(char c) noexcept { return c >= '0' && c <= '9'; }
};
struct NhiPasswordCharacters {
    // A registration password is 6-12 characters (the screen stops at 12); room, never more.
    static constexpr std::size_t CAPACITY = 16;
    // Printable ASCII, no space (central's rule, network::validNhiPassword).
    static constexpr bool accepts(char c) noexcept { return c > ' ' && c <= '~'; }
};

template<typename Rule> class LockedChars
{
public:
    static constexpr std::size_t CAPACITY = Rule::CAPACITY;

    LockedChars() noexcept
    {
        // Kept out of swap (best effort: without CAP_IPC_LOCK the limit is 64 KiB, plenty here).
        locked_ = ::mlock(digits_, sizeof digits_) == 0;
    }
    ~LockedChars()
    {
        wipe();
        // No munlock: page locks do not nest, so unlocking here would unlock any other Pin on the
        // same page. The few pages Pins live on (the pad, the handoff, a worker's stack) stay
        // locked; they hold nothing once wiped.
    }
    LockedChars(const LockedChars&) = delete;
    LockedChars& operator=(const LockedChars&) = delete;
    LockedChars(LockedChars&&) = delete;
    LockedChars& operator=(LockedChars&&) = delete;

    // Appends one character the rule accepts (a PIN: '0'..'9'); false (and nothing changes) for
    // anything else or when full.
    bool push(char digit) noexcept
    {
        if (!Rule::accepts(digit) || size_ >= CAPACITY) return false;
        digits_[size_++] = static_cast<unsigned char>(digit);
        return true;
    }
    void pop() noexcept
    {
        if (size_ == 0) return;
        digits_[--size_] = 0;
    }
    void wipe() noexcept
    {
        ::explicit_bzero(digits_, sizeof digits_);
        size_ = 0;
    }
    // Moves the digits into `to` (whatever it held is wiped first) and wipes this one.
    void moveTo(LockedChars& to) noexcept
    {
        if (&to == this) return;
        to.wipe();
        std::memcpy(to.digits_, digits_, size_);
        to.size_ = size_;
        wipe();
    }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    bool isLocked() const noexcept { return locked_; }
    // For the card call only (C_Login, a VERIFY), or the one request to central for a
    // registration password; never for anything that is kept.
    const unsigned char* data() const noexcept { return digits_; }

private:
    alignas(16) unsigned char digits_[CAPACITY] {};
    std::size_t size_ = 0;
    bool locked_ = false;
};

using Pin = LockedChars<PinDigits>;
using NhiPassword = LockedChars<NhiPasswordCharacters>;

template<typename Rule> std::ostream& operator<<(std::ostream& out, const LockedChars<Rule>&)
{
    return out << "***";
}

// One slot between the UI thread (put) and the card worker (take). A new put wipes a PIN nobody
// took; clear() wipes it when the session ends before the card call. (The registration password
// goes the same way to the network worker.)
// A secret can be tied to the attempt it was typed for (a generation and the card it is for):
// take() for another attempt is refused and leaves the secret to its own attempt's job, so a job
// queued for one person can never take the secret the next person typed.
template<typename Secret> class SecretHandoff
{
public:
    void put(Secret& pin, std::uint64_t generation = 0, std::string_view owner = {})
    {
        std::lock_guard lock(mutex_);
        pin.moveTo(slot_);
        wipeOwner();
        owner_.assign(owner);
        generation_ = generation;
        full_ = true;
    }
    // Moves the waiting PIN into `into`; false when there is none, or when it was put for another
    // attempt (nothing goes into `into` then).
    bool take(Secret& into, std::uint64_t generation = 0, std::string_view owner = {}) noexcept
    {
        std::lock_guard lock(mutex_);
        if (!full_) return false;
        if (generation != generation_ || owner != std::string_view(owner_)) return false;
        slot_.moveTo(into);
        wipeOwner();
        full_ = false;
        return true;
    }
    void clear() noexcept
    {
        std::lock_guard lock(mutex_);
        slot_.wipe();
        wipeOwner();
        full_ = false;
    }

private:
    void wipeOwner() noexcept
    {
        if (!owner_.empty()) ::explicit_bzero(owner_.data(), owner_.size());
        owner_.clear();
        generation_ = 0;
    }

    std::mutex mutex_;
    Secret slot_;
    std::string owner_; // the card number the secret is for (scrubbed with the slot)
    std::uint64_t generation_ = 0;
    bool full_ = false;
};

using PinHandoff = SecretHandoff<Pin>;
using NhiPasswordHandoff = SecretHandoff<NhiPassword>;

} // namespace shensu::cardio

#if __has_include(<fmt/format.h>)
template<typename Rule>
struct fmt::formatter<shensu::cardio::LockedChars<Rule>> : fmt::formatter<fmt::string_view> {
    template<typename Context>
    auto format(const shensu::cardio::LockedChars<Rule>&, Context& ctx) const
    {
        return fmt::formatter<fmt::string_view>::format("***", ctx);
    }
};
#endif
