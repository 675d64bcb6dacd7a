// A PIN in memory: a fixed, mlock'd buffer, wiped on destruction and after each card call, never
// copied, printed as "***". And the one-slot handoff that carries it from the PIN pad to the card
// worker without it ever becoming an event, a command or a log line.
#pragma once

#include <cstddef>
#include <cstring>
#include <mutex>
#include <ostream>

#include <sys/mman.h>

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
#endif

namespace shensu::cardio
{

class Pin
{
public:
    // MOICA PINs are 6-8 digits; room for a longer PIN of another module, never more.
    static constexpr std::size_t CAPACITY = 16;

    Pin() noexcept
    {
        // Kept out of swap (best effort: without CAP_IPC_LOCK the limit is 64 KiB, plenty here).
        locked_ = ::mlock(digits_, sizeof digits_) == 0;
    }
    ~Pin()
    {
        wipe();
        // No munlock: page locks do not nest, so unlocking here would unlock any other Pin on the
        // same page. The few pages Pins live on (the pad, the handoff, a worker's stack) stay
        // locked; they hold nothing once wiped.
    }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    Pin(Pin&&) = delete;
    Pin& operator=(Pin&&) = delete;

    // Appends one digit '0'..'9'; false (and nothing changes) for anything else or when full.
    bool push(char digit) noexcept
    {
        if (digit < '0' || digit > '9' || size_ >= CAPACITY) return false;
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
    void moveTo(Pin& to) noexcept
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
    // For the card call only (C_Login, a VERIFY); never for anything that is kept.
    const unsigned char* data() const noexcept { return digits_; }

private:
    alignas(16) unsigned char digits_[CAPACITY] {};
    std::size_t size_ = 0;
    bool locked_ = false;
};

inline std::ostream& operator<<(std::ostream& out, const Pin&)
{
    return out << "***";
}

// One slot between the UI thread (put) and the card worker (take). A new put wipes a PIN nobody
// took; clear() wipes it when the session ends before the card call.
class PinHandoff
{
public:
    void put(Pin& pin) noexcept
    {
        std::lock_guard lock(mutex_);
        pin.moveTo(slot_);
        full_ = true;
    }
    // Moves the waiting PIN into `into`; false when there is none.
    bool take(Pin& into) noexcept
    {
        std::lock_guard lock(mutex_);
        if (!full_) return false;
        slot_.moveTo(into);
        full_ = false;
        return true;
    }
    void clear() noexcept
    {
        std::lock_guard lock(mutex_);
        slot_.wipe();
        full_ = false;
    }

private:
    std::mutex mutex_;
    Pin slot_;
    bool full_ = false;
};

} // namespace shensu::cardio

#if __has_include(<fmt/format.h>)
template<> struct fmt::formatter<shensu::cardio::Pin> : fmt::formatter<fmt::string_view> {
    template<typename Context> auto format(const shensu::cardio::Pin&, Context& ctx) const
    {
        return fmt::formatter<fmt::string_view>::format("***", ctx);
    }
};
#endif
