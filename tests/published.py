"""Published reference numbers, each with its source, for the forecasting tests."""

#: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
#: Pareto/NBD Model", Marketing Science 24(2), p. 279: BG/NBD on the CDNOW 1/10 sample
#: (2,357 customers, 39-week calibration period ending 1997-09-30).
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4}

#: Same paper, the Pareto/NBD fitted to the same data for comparison.
PARETONBD_CDNOW = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669, "loglik": -9595.0}

#: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
#: Analysis", Journal of Marketing Research 42(4); and Fader & Hardie (2013), "The Gamma-Gamma
#: Model of Monetary Value": Gamma-Gamma on the 946 CDNOW customers with repeat purchases.
GAMMAGAMMA_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}

#: Fader, Hardie & Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual
#: Setting", Marketing Science 29(6): BG/BB on the donations data (11,104 first-time donors of
#: 1995, six annual opportunities; ``data/donations.csv``).
BGBB_DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783, "loglik": -33225.6}

#: Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
#: Marketing 21(1): the sBG model fitted to years 0-7 of two cohorts of 1,000 customers.
SBG_REGULAR = {
    "survivors": [1000, 631, 468, 382, 326, 289, 262, 241],
    "alpha": 0.704,
    "beta": 1.182,
    "loglik": -1680.3,
}
SBG_HIGH_END = {
    "survivors": [1000, 869, 743, 653, 593, 551, 517, 491],
    "alpha": 0.668,
    "beta": 3.806,
    "loglik": -1611.2,
}

#: The same paper's holdout, years 8-12 (the data are Berry & Linoff's, as Fader & Hardie use
#: them): the survivors the fit to years 0-7 is meant to project.
SBG_REGULAR_HOLDOUT = [223, 207, 194, 183, 173]
SBG_HIGH_END_HOLDOUT = [468, 445, 427, 409, 394]

#: Goodhardt, Ehrenberg & Chatfield (1984), "The Dirichlet: A Comprehensive Model of Buying
#: Behaviour", JRSS A 147(5), section 3: UK toothpaste, first quarter 1973 (AGB panel, 5,240
#: static panelists): category penetration 0.56, 2.6 purchases per category buyer, S = 1.295
#: (M = 1.456, K = 0.78), the eight brands' shares and observed penetrations. The theoretical
#: table is the one the R package NBDdirichlet (Chen 2008) prints for these parameters
#: (``summary(dobj)``: brand penetration, purchases per buyer, category purchases per buyer,
#: and duplication with Colgate DC), to its printed two decimals.
TOOTHPASTE_1973 = {
    "category_penetration": 0.56,
    "category_buy_rate": 2.6,
    "M": 1.456,
    "K": 0.78,
    "S": 1.295,
    "brands": [
        "Colgate DC",
        "Macleans",
        "Close Up",
        "Signal",
        "ultrabrite",
        "Gibbs SR",
        "Boots",
        "Sainsbury",
    ],
    "shares": [0.25, 0.19, 0.10, 0.10, 0.09, 0.08, 0.03, 0.02],
    "penetration_observed": [0.20, 0.17, 0.09, 0.08, 0.08, 0.07, 0.03, 0.02],
    "penetration": [0.20, 0.16, 0.09, 0.09, 0.08, 0.07, 0.03, 0.02],
    "purchases_per_buyer": [1.82, 1.76, 1.68, 1.68, 1.67, 1.66, 1.62, 1.61],
    "category_purchases_per_buyer": [3.16, 3.22, 3.30, 3.30, 3.31, 3.32, 3.37, 3.38],
    "duplication_with_colgate": [1.00, 0.19, 0.10, 0.10, 0.09, 0.08, 0.03, 0.02],
}

#: NBDdirichlet's own fit to the inputs above (its ``print(dobj)`` example: "NBD: M = 1.46,
#: K = 0.78; Dirichlet: S = 1.55"): the package's estimator, not the paper's S.
TOOTHPASTE_1973_PACKAGE_FIT = {"M": 1.46, "K": 0.78, "S": 1.55}
