"""Forms of the account pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from blueprints.fields import ValidEmail, choices


class RegisterForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), ValidEmail(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    account_type = RadioField(
        "I am",
        choices=choices([("person", "a person"), ("business", "a business")]),
        default="person",
    )
    company_name = StringField("Company name", validators=[Optional(), Length(max=160)])
    tax_id = StringField("Tax / VAT number", validators=[Optional(), Length(max=40)])
    sells = BooleanField("We sell shoes on Solemate")
    buys_wholesale = BooleanField("We buy wholesale")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    remember = BooleanField("Keep me signed in")


class TokenForm(FlaskForm):
    """Only the CSRF token: creating an API token needs no input."""


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired(), Length(min=6, max=7)],
    )


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField("Current password", validators=[DataRequired(), Length(max=128)])
    code = StringField("Current code", validators=[DataRequired(), Length(min=6, max=7)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=128)]
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), ValidEmail(), Length(max=254)])
