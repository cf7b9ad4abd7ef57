// Paths of the self-service pages, shared by the routes that link to them (account/, interactions/).
export const ACCOUNT_PATHS = {
  register: '/account/register',
  registerSent: '/account/register/check-inbox',
  verifyEmail: '/account/verify-email',
  verified: '/account/verify-email/done',
  resend: '/account/verify-email/resend',
  resendSent: '/account/verify-email/resend/sent',
  forgotPassword: '/account/forgot-password',
  forgotPasswordSent: '/account/forgot-password/sent',
  resetPassword: '/account/reset-password',
  resetPasswordDone: '/account/reset-password/done',
} as const;
