// The one choke point for PC/SC return codes: every SCard* call goes through pcscCall, which throws
// CardError.
#pragma once

#include "cardio/errors.hpp"

#include <string>
#include <vector>

#include <winscard.h>

namespace shensu::cardio::detail
{

// SCARD_* return code → the flat code the kiosk understands (the table lives in pcsc.cpp).
CardErrorCode cardErrorCodeFor(LONG rv) noexcept;

[[noreturn]] void throwPcscError(const char* function, LONG rv);

// Calls fn(args...); throws CardError for anything but SCARD_S_SUCCESS.
template<typename Fn, typename... Args> void pcscCall(const char* name, Fn fn, Args&&... args)
{
    const LONG rv = fn(std::forward<Args>(args)...);
    if (rv != SCARD_S_SUCCESS) throwPcscError(name, rv);
}

// The names of the readers pcscd knows; empty when there are none (never throws NO_READERS).
std::vector<std::string> listReaders(SCARDCONTEXT context);

#define SHENSU_PCSC(fn, ...) ::shensu::cardio::detail::pcscCall(#fn, fn, __VA_ARGS__)

} // namespace shensu::cardio::detail
