// Flags that configure a session, shared by the subcommands that create one.
#pragma once

#include "kiln/session.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

struct SessionFlags {
    SessionOptions options;
};

// Consumes args[i] (and its value) when it is --threads N, --dim NAME=N or --opt-level L; false otherwise.
bool parse_session_flag(const Args& args, size_t& i, SessionFlags& flags);

}  // namespace kiln::cli
