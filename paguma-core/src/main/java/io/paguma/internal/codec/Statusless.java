package io.paguma.internal.codec;

import io.paguma.Message;

/** For codecs without a status field: an error reply cannot be written as if it were a normal one. */
final class Statusless {
    private Statusless() {
    }

    /** @throws IllegalArgumentException if {@code message} carries a status */
    static void check(String codec, Message message) {
        if (message.status() != 0) {
            throw new IllegalArgumentException("codec " + codec + " has no status field: cannot send a failed request's"
                    + " reply (status " + message.status() + "); use codec paguma");
        }
    }
}
