// shensu-central case show|advance|extend: moving a case through the workflow by hand.
#pragma once

namespace shensu::central
{

// argv after "case". Prints the case as JSON on stdout; exit 0, 1 when the move is not allowed
// or the case is unknown, 2 on bad usage.
int caseCommand(int argc, char** argv);

} // namespace shensu::central
