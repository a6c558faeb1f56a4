"""Phrase pools of the built-in support-ticket stream.

``BASE`` phrases are what the stream says before a change point; ``SHIFTED`` phrases say
the same intents in new words (a new product, new slang), which is what a vocabulary
drift looks like in production. Slots in braces are filled at random.
"""

OPENERS = ["Hi team,", "Hello,", "Good morning.", "", "Hey support -", "To whom it may concern,", "Hi there!", ""]
CLOSERS = ["Thanks.", "Please help asap.", "Regards, {name}.", "", "This is urgent.", "Thank you in advance.", "Cheers"]

BASE: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for my {plan} subscription this month",
        "my invoice for {month} shows the wrong amount",
        "please refund the {amount} charge on my card",
        "the payment for my {plan} plan failed but the money left my account",
        "why did my subscription price go up to {amount}",
        "I need a copy of the receipt for order {order}",
        "can I switch from monthly to yearly billing",
        "the discount code was not applied to my invoice",
    ],
    "technical": [
        "the app crashes every time I open settings on my {device}",
        "I get error {code} when I try to upload a file",
        "the website is very slow and pages never finish loading",
        "sync stopped working after the latest update",
        "notifications do not arrive on my {device}",
        "the export button does nothing in the browser",
        "login page shows a blank screen after the update",
        "the search returns no results even for exact names",
    ],
    "account": [
        "I cannot reset my password, the email never arrives",
        "please change the email address on my account",
        "how do I delete my account and my data",
        "I want to add a second user to my {plan} account",
        "my username is wrong, can you update it",
        "two factor authentication codes are not accepted",
        "I am locked out of my account after too many attempts",
        "please merge my two accounts into one",
    ],
    "shipping": [
        "my package for order {order} has not arrived yet",
        "the tracking number for order {order} does not work",
        "the parcel arrived damaged and the box was open",
        "can I change the delivery address for order {order}",
        "delivery was promised for {month} but nothing came",
        "I received the wrong item in my parcel",
        "the courier left my package at the wrong door",
        "how long does international shipping take",
    ],
    "fraud": [
        "there are purchases on my card that I did not make",
        "someone logged into my account from another country and changed my details",
        "I got a suspicious email asking for my card number in your name",
        "unknown transactions of {amount} appeared overnight, please block my card",
        "my account was hacked and orders were placed to an address I do not know",
        "a caller claiming to be your staff asked for my one time code",
    ],
}

SHIFTED: dict[str, list[str]] = {
    "billing": [
        "the wallet top-up of {amount} vanished from my balance",
        "in-app credits were deducted twice for the {plan} bundle",
        "the pay-later instalment was taken early",
        "my credits statement for {month} does not add up",
    ],
    "technical": [
        "the new dashboard freezes when I open widgets on my {device}",
        "the assistant panel spins forever and shows code {code}",
        "offline mode wipes my drafts after the redesign",
        "dark theme makes the editor unreadable since the redesign",
    ],
    "account": [
        "passkey sign-in fails on my {device}",
        "the workspace invite link expired before my colleague joined",
        "single sign-on keeps bouncing me back to the start page",
        "my profile handle got reset after the migration",
    ],
    "shipping": [
        "the locker pickup code for order {order} never came",
        "same-day drone drop for order {order} was cancelled",
        "the click and collect point says my parcel is missing",
        "the delivery slot booking keeps failing for order {order}",
    ],
    "fraud": [
        "a deepfake voice call used my name to move {amount} out of my wallet",
        "my passkey was added on a device I never owned and credits were spent",
        "a fake support chat got my recovery phrase and drained my wallet",
    ],
}

NEW_CATEGORY = [
    "nothing loads, is the whole service down right now",
    "status page says all green but every request times out",
    "your platform has been unreachable for an hour in {month}",
    "all my team sees gateway errors since this morning",
]

SLOTS: dict[str, list[str]] = {
    "plan": ["basic", "pro", "family", "team", "premium"],
    "month": ["January", "February", "March", "April", "May", "June"],
    "amount": ["$4.99", "$12.00", "$29.99", "$120", "$7.50", "$59.90"],
    "order": ["#A1932", "#B7741", "#C0042", "#D5510", "#E2287"],
    "device": ["iPhone", "Android phone", "tablet", "laptop", "Mac"],
    "code": ["500", "E42", "403", "timeout-17", "0x80070005"],
    "name": ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi"],
}

# Class mix before a change point, and the mix a class-mix drift moves towards.
BASE_PRIORS = {"billing": 0.28, "technical": 0.30, "account": 0.20, "shipping": 0.19, "fraud": 0.03}
SHIFTED_PRIORS = {"billing": 0.15, "technical": 0.45, "account": 0.15, "shipping": 0.15, "fraud": 0.10}
